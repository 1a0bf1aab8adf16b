import { defineStage, type InputSpec, type OutputSpec } from '../spec.js';
import { githubTokenInput } from './common-inputs.js';

// Declared apart from the stage so approval-gate-run.ts can type against them without a cycle.
export const approvalGateInputs = {
  metrics: { type: 'path', description: "The evaluate stage's metrics JSON.", default: '.llmops/metrics.json' },
  gates: { type: 'multiline', description: 'Gates the metrics must pass, one per line, before anyone is asked.' },
  approvers: {
    type: 'string',
    description:
      'GitHub users or org/team names (comma-separated) who may approve in the approval issue; the author and committer of the commit and whoever started the run may not.',
    required: true,
  },
  'timeout-minutes': {
    type: 'integer',
    description: 'How long to wait for a decision before the stage fails.',
    default: 60,
    min: 1,
  },
  'poll-seconds': {
    type: 'integer',
    description: 'How often the approval issue is checked for a decision.',
    default: 15,
    min: 1,
  },
  'github-token': {
    ...githubTokenInput['github-token'],
    description: "Token that may open and comment on issues in the repository ('permissions: issues: write').",
  },
} as const satisfies Record<string, InputSpec>;

export const approvalGateOutputs = {
  'approved-by': { description: 'Who approved.' },
  'issue-url': { description: 'The issue the approval was asked for in.' },
} as const satisfies Record<string, OutputSpec>;

export const approvalGate = defineStage({
  name: 'approval-gate',
  title: 'Approval Gate',
  description:
    'Hold promotion until the metrics pass their gates and a person other than the committer approves, in a GitHub issue.',
  inputs: approvalGateInputs,
  outputs: approvalGateOutputs,
  async run(ctx) {
    const { runApprovalGate } = await import('./approval-gate-run.js');
    return runApprovalGate(ctx);
  },
});
