import { defineStage } from '../spec.js';
import { notAvailable } from './not-available.js';

export const smokeTest = defineStage({
  name: 'smoke-test',
  title: 'Smoke Test',
  description: 'Prove a deployed endpoint is ready and answers sample requests correctly within latency bounds.',
  inputs: {
    'endpoint-url': { type: 'string', description: 'Scoring URL to test.', required: true },
    'endpoint-key': { type: 'string', description: 'Key or token for the endpoint.', secret: true },
    'request-file': {
      type: 'path',
      description: 'JSON file with a sample request (the template\'s sample-request.json).',
      default: 'sample-request.json',
    },
    'max-latency-ms': {
      type: 'integer',
      description: 'Slowest acceptable answer, in milliseconds.',
      default: 30000,
      min: 1,
    },
  },
  outputs: {
    result: { description: 'The outcome per request: status, latency, pass or fail.', json: true },
  },
  async run() {
    notAvailable('smoke-test');
  },
});
