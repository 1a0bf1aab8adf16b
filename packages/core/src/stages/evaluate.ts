import { defineStage } from '../spec.js';
import { configInputs, githubTokenInput, outputDirInput, pythonInput } from './common-inputs.js';
import { notAvailable } from './not-available.js';

export const evaluate = defineStage({
  name: 'evaluate',
  title: 'Evaluate',
  description:
    "Run the evaluation flows over the experiment's runs, collect metrics per variant and dataset, write reports and enforce quality gates.",
  inputs: {
    ...configInputs,
    runs: {
      type: 'path',
      description: "Path of the runs manifest written by the experiment stage (its 'runs' output).",
      default: '.llmops/runs.json',
    },
    ...outputDirInput,
    ...pythonInput,
    gates: {
      type: 'multiline',
      description:
        "Quality gates, one per line, added to those in experiment.yaml: 'accuracy >= 0.8', 'exact_match_rate >= 0.7 on <dataset>', 'accuracy >= baseline - 0.02'.",
    },
    baseline: {
      type: 'path',
      description: 'A previous metrics JSON to compare with; the summary shows deltas.',
    },
    ...githubTokenInput,
  },
  outputs: {
    metrics: { description: 'Path of the metrics JSON: one row per evaluator, dataset and run.' },
    report: { description: 'Path of the self-contained HTML report.' },
  },
  async run() {
    notAvailable('evaluate');
  },
});
