import { approvalGate } from './approval-gate.js';
import { deploy } from './deploy.js';
import { evaluate } from './evaluate.js';
import { experiment } from './experiment.js';
import { registerIfChanged } from './register-if-changed.js';
import { smokeTest } from './smoke-test.js';

export { approvalGate, deploy, evaluate, experiment, registerIfChanged, smokeTest };

/** Every stage, in pipeline order. The generators and the CLI iterate over this. */
export const stages = [experiment, evaluate, registerIfChanged, deploy, smokeTest, approvalGate] as const;
