import { defineStage } from '../spec.js';
import { azureInputs, configInputs, outputDirInput } from './common-inputs.js';
import { notAvailable } from './not-available.js';

export const registerIfChanged = defineStage({
  name: 'register-if-changed',
  title: 'Register If Changed',
  description:
    'Content-hash the datasets and flows of an experiment and register a new data or model version only when the content changed.',
  inputs: {
    ...configInputs,
    registry: {
      type: 'choice',
      description: "Where versions are kept: 'local' (a folder) or 'azureml' (an Azure ML workspace).",
      choices: ['local', 'azureml'],
      default: 'local',
    },
    'registry-path': {
      type: 'path',
      description: 'Folder of the local registry.',
      default: '.llmops/registry',
    },
    'model-name': {
      type: 'string',
      description: "Name of the flow's model. Default: {experiment}_{env}, as the template names it.",
    },
    'include-evaluators': {
      type: 'boolean',
      description: 'Register the evaluation flows too.',
      default: false,
    },
    metrics: {
      type: 'path',
      description: "The evaluate stage's metrics JSON, stored with a new version.",
    },
    'only-if-better': {
      type: 'boolean',
      description: "Refuse to register a version whose gate metrics are worse than the latest version's.",
      default: false,
    },
    ...outputDirInput,
    ...azureInputs,
  },
  outputs: {
    assets: { description: 'The assets: kind, name, version, changed, hash.', json: true },
    manifest: { description: 'Path of the registration manifest for deploy (<output-dir>/registration.json).' },
  },
  async run() {
    notAvailable('register-if-changed');
  },
});
