import { defineStage, type InputSpec, type OutputSpec } from '../spec.js';
import { azureInputs, configInputs, outputDirInput } from './common-inputs.js';

// Declared apart from the stage so deploy-run.ts can type against them without a cycle.
export const deployInputs = {
  ...configInputs,
  target: {
    type: 'choice',
    description: 'Where to deploy. Built: azureml-online (Azure ML / AI Studio managed online endpoint); the others refuse.',
    choices: ['azureml-online', 'app-service', 'kubernetes', 'local'],
    default: 'azureml-online',
  },
  registration: {
    type: 'path',
    description: "The registration manifest written by register-if-changed (its 'manifest' output); the flow's model version is deployed.",
    default: '.llmops/registration.json',
  },
  'endpoint-name': {
    type: 'string',
    description: 'Endpoint to create or update. Default: ENDPOINT_NAME in configs/deployment_config.json beside the config.',
  },
  'deployment-name': {
    type: 'string',
    description: 'Deployment to create or update. Default: CURRENT_DEPLOYMENT_NAME in configs/deployment_config.json.',
  },
  'traffic-percentage': {
    type: 'integer',
    description:
      'Share of traffic the new deployment gets; the other deployments keep the rest in their current proportions. Default: CURRENT_DEPLOYMENT_TRAFFIC_ALLOCATION in configs/deployment_config.json, else 100.',
    min: 0,
    max: 100,
  },
  'instance-type': {
    type: 'string',
    description: 'VM size of the deployment. Default: DEPLOYMENT_VM_SIZE in configs/deployment_config.json, else Standard_DS3_v2.',
  },
  'instance-count': {
    type: 'integer',
    description: 'Instances of the deployment. Default: DEPLOYMENT_INSTANCE_COUNT in configs/deployment_config.json, else 1.',
    min: 1,
  },
  rollback: {
    type: 'boolean',
    description:
      "Instead of deploying, put back the traffic the last deploy found: previousTraffic of the deployment manifest in output-dir (for an `if: failure()` step after smoke-test).",
    default: false,
  },
  image: {
    type: 'string',
    description: 'Container image that serves the flow (prompt flow serving on port 8080: /score, /health).',
    default: 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest',
  },
  ...outputDirInput,
  ...azureInputs,
} as const satisfies Record<string, InputSpec>;

export const deployOutputs = {
  'endpoint-url': { description: 'Scoring URL of the endpoint.' },
  'endpoint-key': { description: "The endpoint's primary key, for smoke-test (masked; the CLI prints ***).", secret: true },
  'deployment-name': { description: 'Name of the deployment that was created or updated.' },
  manifest: { description: 'Path of the deployment manifest (llmops/deployment@1).' },
} as const satisfies Record<string, OutputSpec>;

export const deploy = defineStage({
  name: 'deploy',
  title: 'Deploy',
  description:
    'Deploy a registered flow to an Azure ML managed online endpoint, shifting a share of traffic to it (A/B); a failed deployment leaves the traffic as it was.',
  inputs: deployInputs,
  outputs: deployOutputs,
  async run(ctx) {
    const { runDeploy } = await import('./deploy-run.js');
    return runDeploy(ctx);
  },
});
