import { defineStage, type InputSpec, type OutputSpec } from '../spec.js';
import { concurrencyInputs, configInputs, outputDirInput, pythonInput } from './common-inputs.js';

// Declared apart from the stage so experiment-run.ts can type against them without a cycle.
export const experimentInputs = {
    ...configInputs,
    variants: {
      type: 'string',
      description:
        "Which variants to run: 'defaults' (one run per dataset), 'all' (each variant of each node, other nodes at default), 'all-combinations' (the cartesian product), or a list such as 'summarize.variant_1,classify.variant_2'.",
      default: 'defaults',
    },
    'dry-run': {
      type: 'boolean',
      description: 'Resolve and print the run matrix without running anything (needs no Python).',
      default: false,
    },
    ...pythonInput,
    ...outputDirInput,
    ...concurrencyInputs,
    'max-failed-line-ratio': {
      type: 'number',
      description: 'Largest share of failed lines (0 to 1) a run may have before the stage fails.',
      default: 0,
      min: 0,
      max: 1,
    },
} as const satisfies Record<string, InputSpec>;

export const experimentOutputs = {
    runs: { description: 'Path of the runs manifest. On a dry run: the planned runs.', json: true },
    evaluations: { description: 'On a dry run: the planned evaluations.', json: true },
} as const satisfies Record<string, OutputSpec>;

export const experiment = defineStage({
  name: 'experiment',
  title: 'Experiment',
  description:
    "Bulk-run a prompt flow's variants over its datasets with the real promptflow, and fail on failed runs or lines.",
  inputs: experimentInputs,
  outputs: experimentOutputs,
  async run(ctx) {
    const { runExperiment } = await import('./experiment-run.js');
    return runExperiment(ctx);
  },
});
