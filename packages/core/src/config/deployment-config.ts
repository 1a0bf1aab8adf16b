/**
 * configs/deployment_config.json, as the template's deployment scripts read it: three lists of
 * targets (azure_managed_endpoint, kubernetes_endpoint, webapp_endpoint), each entry tagged with
 * the ENV_NAME it applies to. Keys keep the template's spelling so its docs still apply.
 *
 * The template reads what it needs and ignores the rest, so a misspelt key (ENDPOINT_NAMES)
 * silently deployed with defaults; here an unknown key is an error with a suggestion.
 */
import * as z from 'zod';
import type { SourceLocation } from '../errors.js';
import { parseWithSchema, strictObject } from './validate.js';
import { YamlSource } from './yaml-source.js';

/** The template writes numbers both as JSON numbers and as strings ("100", or "" for unset). */
const numberLike = z.union([z.number(), z.string()]).refine((value) => typeof value === 'number' || value.trim() === '' || Number.isFinite(Number(value)), {
  message: 'expected a number',
});
const trafficPercent = numberLike.refine((value) => {
  const number = typeof value === 'number' ? value : value.trim() === '' ? 0 : Number(value);
  return number >= 0 && number <= 100;
}, { message: 'expected a traffic percentage from 0 to 100' });
const text = z.string();
const environmentVariables = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullish();

const endpointCommon = {
  ENV_NAME: text,
  TEST_FILE_PATH: text.optional(),
  ENDPOINT_NAME: text.optional(),
  ENDPOINT_DESC: text.optional(),
  DEPLOYMENT_DESC: text.optional(),
  PRIOR_DEPLOYMENT_NAME: text.optional(),
  PRIOR_DEPLOYMENT_TRAFFIC_ALLOCATION: trafficPercent.optional(),
  CURRENT_DEPLOYMENT_NAME: text.optional(),
  CURRENT_DEPLOYMENT_TRAFFIC_ALLOCATION: trafficPercent.optional(),
  DEPLOYMENT_VM_SIZE: text.optional(),
  DEPLOYMENT_INSTANCE_COUNT: numberLike.optional(),
  ENVIRONMENT_VARIABLES: environmentVariables,
};

const azureManagedEndpoint = strictObject(endpointCommon);
const kubernetesEndpoint = strictObject({
  ...endpointCommon,
  COMPUTE_NAME: text.optional(),
  CPU_ALLOCATION: text.optional(),
  MEMORY_ALLOCATION: text.optional(),
  DEPLOYMENT_CONDA_PATH: text.optional(),
});
const webappEndpoint = strictObject({
  ENV_NAME: text,
  TEST_FILE_PATH: text.optional(),
  CONNECTION_NAMES: z.array(text).optional(),
  REGISTRY_NAME: text.optional(),
  REGISTRY_RG_NAME: text.optional(),
  APP_PLAN_NAME: text.optional(),
  WEB_APP_NAME: text.optional(),
  WEB_APP_RG_NAME: text.optional(),
  WEB_APP_SKU: text.optional(),
  USER_MANAGED_ID: text.optional(),
});

const deploymentConfigSchema = strictObject({
  azure_managed_endpoint: z.array(azureManagedEndpoint).nullish(),
  kubernetes_endpoint: z.array(kubernetesEndpoint).nullish(),
  webapp_endpoint: z.array(webappEndpoint).nullish(),
});

type Located<T> = T & { location: SourceLocation };
export type AzureManagedEndpointConfig = Located<z.output<typeof azureManagedEndpoint>>;
export type KubernetesEndpointConfig = Located<z.output<typeof kubernetesEndpoint>>;
export type WebAppEndpointConfig = Located<z.output<typeof webappEndpoint>>;

/** The deployment targets of one environment, in file order. */
export interface DeploymentTargets {
  env: string;
  azureManagedEndpoints: AzureManagedEndpointConfig[];
  kubernetesEndpoints: KubernetesEndpointConfig[];
  webappEndpoints: WebAppEndpointConfig[];
}

/** Validate the whole file, then return the entries whose ENV_NAME is `env` (none is not an error). */
export async function loadDeploymentConfig(file: string, env: string): Promise<DeploymentTargets> {
  const source = await YamlSource.read(file, 'deployment config');
  const config = parseWithSchema(source, deploymentConfigSchema, source.toJS());
  function entriesFor<T extends { ENV_NAME: string }>(key: string, entries: T[] | null | undefined): Located<T>[] {
    return (entries ?? []).flatMap((entry, index) =>
      entry.ENV_NAME === env ? [{ ...entry, location: source.locate([key, index]) }] : [],
    );
  }
  return {
    env,
    azureManagedEndpoints: entriesFor('azure_managed_endpoint', config.azure_managed_endpoint),
    kubernetesEndpoints: entriesFor('kubernetes_endpoint', config.kubernetes_endpoint),
    webappEndpoints: entriesFor('webapp_endpoint', config.webapp_endpoint),
  };
}
