/** Running flows locally with the real promptflow. */
export { LocalPromptflowExecutor, type LocalPromptflowExecutorOptions, type PromptflowRunRequest } from './executor.js';
export {
  findPromptflowPython,
  SUPPORTED_PROMPTFLOW_VERSION,
  INSTALL_HINT,
  type PromptflowPython,
  type FindPythonOptions,
} from './python.js';
export { createPromptflowHome, PROMPTFLOW_ENV, type PromptflowHome } from './home.js';
export { type ConnectionSpec } from './connections.js';
export { materializeFlowVariants, planVariantSelection, type VariantSelectionPlan } from './variants.js';
export { readRunDirectory, parseRunJson, type RunDirectoryContents } from './run-dir.js';
export { redactSecrets } from './redact.js';
export { runProcess, type ProcessResult, type RunProcessOptions } from './process.js';
