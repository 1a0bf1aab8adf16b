import { defineStage, type InputSpec, type OutputSpec } from '../spec.js';
import { azureInputs, configInputs, outputDirInput } from './common-inputs.js';

// Declared apart from the stage so register-if-changed-run.ts can type against them without a cycle.
export const registerIfChangedInputs = {
  ...configInputs,
  registry: {
    type: 'choice',
    description:
      "Where versions are kept: 'local' (a folder, see registry-path) or 'azureml' (an Azure ML workspace, or an Azure AI Studio / Foundry hub project: subscription-id, resource-group, workspace-name and auth). For sovereign or private clouds set LLMOPS_ARM_ENDPOINT (default https://management.azure.com) and AZURE_AUTHORITY_HOST; LLMOPS_BLOB_ENDPOINT overrides the datastore's blob URL ({account} is replaced).",
    choices: ['local', 'azureml'],
    default: 'local',
  },
  'registry-path': {
    type: 'path',
    description: 'Folder of the local registry (registry: local).',
    default: '.llmops/registry',
  },
  'model-name': {
    type: 'string',
    description:
      "Name of the flow's model. Default: {experiment}_{env} as the template names it, or {experiment} when no env is given. Evaluation flows are named {experiment}_{evaluator}_{env}.",
  },
  'include-evaluators': {
    type: 'boolean',
    description: 'Register the evaluation flows too, as models.',
    default: false,
  },
  metrics: {
    type: 'path',
    description:
      "The evaluate stage's metrics JSON (schema llmops/metrics@1), stored with a new version of the flow's model (property llmops.metrics).",
  },
  'only-if-better': {
    type: 'boolean',
    description:
      "Refuse, registering nothing, when the flow changed and its metrics (input 'metrics') are worse than those stored with the latest version, on the metrics of experiment.yaml's gates: >= and > mean higher is better, <= and < lower is better.",
    default: false,
  },
  ...outputDirInput,
  ...azureInputs,
} as const satisfies Record<string, InputSpec>;

export const registerIfChangedOutputs = {
  assets: {
    description: 'The assets: a JSON list of {kind: data|model, name, version, changed, hash}.',
    json: true,
  },
  manifest: {
    description:
      'Path of the registration manifest (schema llmops/registration@1) for deploy: <output-dir>/registration.json.',
  },
} as const satisfies Record<string, OutputSpec>;

export const registerIfChanged = defineStage({
  name: 'register-if-changed',
  title: 'Register If Changed',
  description:
    'Content-hash the datasets and flows of an experiment and register a new data or model version only when the content changed.',
  inputs: registerIfChangedInputs,
  outputs: registerIfChangedOutputs,
  async run(ctx) {
    const { runRegisterIfChanged } = await import('./register-if-changed-run.js');
    return runRegisterIfChanged(ctx);
  },
});
