export {
  loadExperiment,
  overlayPathFor,
  type Experiment,
  type ExperimentDataset,
  type EvaluatorConfig,
  type EvaluatorDataset,
  type GateExpression,
  type ConfigWarning,
  type LoadExperimentOptions,
} from './experiment.js';
export { CONNECTION_TYPE_NAMES, type ConnectionConfig, type ConnectionType } from './connections.js';
export { resolveConnectionSecrets, resolveFlexInit, type ResolvedConnection, type ResolvedInit } from './secrets.js';
export { loadEnvFile, type EnvFileVariables, type LoadEnvFileOptions } from './env-file.js';
export {
  loadDeploymentConfig,
  type DeploymentTargets,
  type AzureManagedEndpointConfig,
  type KubernetesEndpointConfig,
  type WebAppEndpointConfig,
} from './deployment-config.js';
export { mappingProblem, type MappingContext } from './bindings.js';
export { editDistance, nearest } from '../suggest.js';
export { YamlSource, formatFieldPath, type FieldPath } from './yaml-source.js';
