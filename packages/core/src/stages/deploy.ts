import { defineStage } from '../spec.js';
import { azureInputs, configInputs } from './common-inputs.js';
import { notAvailable } from './not-available.js';

export const deploy = defineStage({
  name: 'deploy',
  title: 'Deploy',
  description:
    'Deploy a registered flow to a target (Azure ML online endpoint, App Service, Kubernetes, local server) with A/B traffic and rollback.',
  inputs: {
    ...configInputs,
    target: {
      type: 'choice',
      description: 'Where to deploy.',
      choices: ['azureml-online', 'app-service', 'kubernetes', 'local'],
      default: 'azureml-online',
    },
    registration: {
      type: 'path',
      description: "The registration manifest written by register-if-changed (its 'manifest' output).",
      default: '.llmops/registration.json',
    },
    'endpoint-name': { type: 'string', description: 'Endpoint to create or update. Default: from configs/deployment_config.json.' },
    'deployment-name': { type: 'string', description: 'Deployment to create. Default: from configs/deployment_config.json.' },
    'traffic-percentage': {
      type: 'integer',
      description: 'Share of traffic the new deployment gets; the rest stays on the current one.',
      default: 100,
      min: 0,
      max: 100,
    },
    ...azureInputs,
  },
  outputs: {
    'endpoint-url': { description: 'Scoring URL of the endpoint.' },
    'deployment-name': { description: 'Name of the deployment that was created.' },
    manifest: { description: 'Path of the deployment manifest.' },
  },
  async run() {
    notAvailable('deploy');
  },
});
