import { defineStage, type InputSpec, type OutputSpec } from '../spec.js';
import { concurrencyInputs, configInputs, githubTokenInput, outputDirInput, pythonInput } from './common-inputs.js';

// Declared apart from the stage so evaluate-run.ts can type against them without a cycle.
export const evaluateInputs = {
    ...configInputs,
    runs: {
      type: 'path',
      description: "Path of the runs manifest written by the experiment stage (its 'runs' output).",
      default: '.llmops/runs.json',
    },
    ...outputDirInput,
    ...pythonInput,
    ...concurrencyInputs,
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
} as const satisfies Record<string, InputSpec>;

export const evaluateOutputs = {
    metrics: { description: 'Path of the metrics JSON: one row per evaluator, dataset and run.' },
    report: { description: 'Path of the self-contained HTML report.' },
} as const satisfies Record<string, OutputSpec>;

export const evaluate = defineStage({
  name: 'evaluate',
  title: 'Evaluate',
  description:
    "Run the evaluation flows over the experiment's runs, collect metrics per variant and dataset, write reports and enforce quality gates.",
  inputs: evaluateInputs,
  outputs: evaluateOutputs,
  async run(ctx) {
    const { runEvaluate } = await import('./evaluate-run.js');
    return runEvaluate(ctx);
  },
});
