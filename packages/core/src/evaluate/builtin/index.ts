export {
  AZURE_AI_EVALUATION_VERSION,
  BUILTIN_EVALUATORS,
  BUILTIN_NAMES,
  UNAVAILABLE_BUILTINS,
  builtinEvaluator,
  builtinFlowPlaceholder,
  lookupBuiltin,
  type BuiltinEvaluator,
  type BuiltinInitParameter,
  type BuiltinLookup,
} from './catalog.js';
export { materializeBuiltinFlow } from './materialize.js';
export { renderBuiltinModule } from './python-module.js';
