import { defineStage, type InputSpec, type OutputSpec } from '../spec.js';

// Declared apart from the stage so smoke-test-run.ts can type against them without a cycle.
export const smokeTestInputs = {
  'endpoint-url': { type: 'string', description: 'Scoring URL to test.', required: true },
  'endpoint-key': {
    type: 'string',
    description: 'Key or token for the endpoint, sent as `Authorization: Bearer <key>`.',
    secret: true,
  },
  'request-file': {
    type: 'path',
    description:
      "Sample requests: a JSON object (the template's sample-request.json), a JSON array of them, or a .jsonl file with one per line.",
    default: 'sample-request.json',
  },
  deployment: {
    type: 'string',
    description:
      'Azure ML online endpoint: send every request to this deployment (azureml-model-deployment header), to test a new deployment before it takes traffic.',
  },
  'max-latency-ms': {
    type: 'integer',
    description: 'Slowest acceptable answer, in milliseconds.',
    default: 30000,
    min: 1,
  },
  'ready-timeout-seconds': {
    type: 'integer',
    description:
      'How long to wait for the endpoint to come up (connection refused, 404, 429, 502, 503 or 504 are retried) before the first request counts.',
    default: 120,
    min: 0,
  },
} as const satisfies Record<string, InputSpec>;

export const smokeTestOutputs = {
  result: { description: 'The outcome per request: status, latency, pass or fail.', json: true },
} as const satisfies Record<string, OutputSpec>;

export const smokeTest = defineStage({
  name: 'smoke-test',
  title: 'Smoke Test',
  description: 'Prove a deployed endpoint is ready and answers sample requests correctly within latency bounds.',
  inputs: smokeTestInputs,
  outputs: smokeTestOutputs,
  async run(ctx) {
    const { runSmokeTest } = await import('./smoke-test-run.js');
    return runSmokeTest(ctx);
  },
});
