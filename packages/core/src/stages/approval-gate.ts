import { defineStage } from '../spec.js';
import { githubTokenInput } from './common-inputs.js';
import { notAvailable } from './not-available.js';

export const approvalGate = defineStage({
  name: 'approval-gate',
  title: 'Approval Gate',
  description: 'Hold promotion until the metrics pass their gates and a person other than the committer approves.',
  inputs: {
    metrics: { type: 'path', description: "The evaluate stage's metrics JSON.", default: '.llmops/metrics.json' },
    gates: { type: 'multiline', description: 'Gates the metrics must pass, one per line.' },
    approvers: { type: 'string', description: 'Comma-separated users or teams allowed to approve.' },
    'timeout-minutes': {
      type: 'integer',
      description: 'How long to wait for an approval before the stage fails.',
      default: 60,
      min: 1,
    },
    ...githubTokenInput,
  },
  outputs: {
    'approved-by': { description: 'Who approved.' },
  },
  async run() {
    notAvailable('approval-gate');
  },
});
