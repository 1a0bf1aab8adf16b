import { existsSync } from 'node:fs';
import path from 'node:path';
import { explainAzureError } from '../azure/errors.js';
import { loadDeploymentConfig, type AzureManagedEndpointConfig } from '../config/deployment-config.js';
import { DEPLOYMENT_SCHEMA, readDeploymentManifest, writeDeploymentManifest } from '../deploy/manifest.js';
import { ConfigurationError, NotAvailableError, StageFailure } from '../errors.js';
import { code, markdownTable } from '../markdown.js';
import { readRegistrationManifest, registeredFlow } from '../register/manifest.js';
import type { OutputValues, StageContext } from '../spec.js';
import type { deployInputs, deployOutputs } from './deploy.js';

export const DEPLOYMENT_MANIFEST_FILE = 'deployment.json';
const DEFAULT_INSTANCE_TYPE = 'Standard_DS3_v2';
/** ARM names of endpoints and deployments: 3-32 characters, letters, digits and '-', a letter first. */
const AZURE_ML_NAME = /^[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]$/;

export async function runDeploy(ctx: StageContext<typeof deployInputs>): Promise<OutputValues<typeof deployOutputs>> {
  const { inputs, host, log } = ctx;
  if (inputs.target !== 'azureml-online') throw new NotAvailableError(`llmops deploy to ${inputs.target} is not available yet`);
  const manifestPath = path.join(path.resolve(host.workingDirectory, inputs['output-dir']), DEPLOYMENT_MANIFEST_FILE);
  if (inputs.rollback) return rollback(ctx, manifestPath);

  // Everything the user can get wrong is checked before Azure is asked anything.
  const registrationFile = path.resolve(host.workingDirectory, inputs.registration);
  const registration = await readRegistrationManifest(registrationFile);
  const flow = registeredFlow(registration);
  if (!flow || flow.kind !== 'model') throw new ConfigurationError('the registration holds no flow model to deploy', { file: registrationFile });
  if (registration.registry.kind !== 'azureml') {
    throw new ConfigurationError(
      `the flow was registered in a local registry (${registration.registry.path}); deploying to Azure ML needs it registered with registry: azureml`,
      { file: registrationFile },
    );
  }
  const registry = registration.registry;
  const env = inputs.env ?? registration.env ?? host.env.ENV_NAME;
  const configured = await configuredEndpoint(path.resolve(host.workingDirectory, inputs.config), env);
  const endpointName = named('endpoint-name', inputs['endpoint-name'] ?? configured?.ENDPOINT_NAME);
  const deploymentName = named('deployment-name', inputs['deployment-name'] ?? configured?.CURRENT_DEPLOYMENT_NAME);
  const trafficPercentage = inputs['traffic-percentage'] ?? numberOr(configured?.CURRENT_DEPLOYMENT_TRAFFIC_ALLOCATION, 100);
  const instanceCount = inputs['instance-count'] ?? numberOr(configured?.DEPLOYMENT_INSTANCE_COUNT, 1);
  const instanceType = inputs['instance-type'] ?? (configured?.DEPLOYMENT_VM_SIZE || DEFAULT_INSTANCE_TYPE);
  // The workspace the flow was registered in, unless the inputs name one (then it must be it).
  const subscriptionId = inputs['subscription-id'] ?? registry.subscriptionId;
  const resourceGroup = inputs['resource-group'] ?? registry.resourceGroup;
  const workspaceName = inputs['workspace-name'] ?? registry.workspaceName;
  if (
    subscriptionId.toLowerCase() !== registry.subscriptionId.toLowerCase() ||
    resourceGroup.toLowerCase() !== registry.resourceGroup.toLowerCase() ||
    workspaceName.toLowerCase() !== registry.workspaceName.toLowerCase()
  ) {
    throw new ConfigurationError(
      `the flow model ${flow.name}:${flow.version} is registered in workspace ${registry.workspaceName} (${registry.resourceGroup}), not in ${workspaceName} (${resourceGroup})`,
      { file: registrationFile },
    );
  }

  const [workspace, { deployToAzureMlOnline }] = await Promise.all([
    openWorkspace(ctx, { subscriptionId, resourceGroup, workspaceName }),
    import('../deploy/azureml-online.js'),
  ]);
  const modelId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspaceName}/models/${flow.name}/versions/${flow.version}`;
  const result = await deployToAzureMlOnline(
    workspace,
    {
      endpointName,
      deploymentName,
      description: configured?.DEPLOYMENT_DESC || undefined,
      modelId,
      image: inputs.image,
      instanceType,
      instanceCount,
      trafficPercentage,
      environmentVariables: {
        ...Object.fromEntries(Object.entries(configured?.ENVIRONMENT_VARIABLES ?? {}).map(([name, value]) => [name, String(value)])),
        // What prompt flow serving reads to run as a deployment of this workspace.
        PROMPTFLOW_RUN_MODE: 'serving',
        PRT_CONFIG_OVERRIDE: `deployment.subscription_id=${subscriptionId},deployment.resource_group=${resourceGroup},deployment.workspace_name=${workspaceName},deployment.endpoint_name=${endpointName},deployment.deployment_name=${deploymentName}`,
      },
    },
    { log, setSecret: (value) => host.setSecret(value), pollIntervalMs: pollInterval(host.env.LLMOPS_LRO_POLL_MS) },
  ).catch((error: unknown) => {
    throw explainAzureError(error, `deploying to ${endpointName}`);
  });

  await writeDeploymentManifest(manifestPath, {
    schema: DEPLOYMENT_SCHEMA,
    target: inputs.target,
    workspace: { subscriptionId, resourceGroup, workspaceName },
    endpoint: endpointName,
    deployment: deploymentName,
    model: { name: flow.name, version: flow.version },
    scoringUri: result.scoringUri,
    traffic: result.traffic,
    previousTraffic: result.previousTraffic,
  });
  await host.appendSummary(
    `### llmops deploy: ${code(`${flow.name}:${flow.version}`)} to ${code(`${endpointName}/${deploymentName}`)}\n\n` +
      trafficTable(result.previousTraffic, result.traffic) +
      `\n\nScoring URL: ${result.scoringUri}\n`,
  );
  return {
    'endpoint-url': result.scoringUri,
    'endpoint-key': result.primaryKey,
    'deployment-name': deploymentName,
    manifest: manifestPath,
  };
}

/** `rollback: true`: the traffic the last deploy found, put back on its endpoint. */
async function rollback(
  ctx: StageContext<typeof deployInputs>,
  manifestPath: string,
): Promise<OutputValues<typeof deployOutputs>> {
  const { host, log } = ctx;
  const manifest = await readDeploymentManifest(manifestPath);
  if (Object.values(manifest.previousTraffic).every((share) => share === 0)) {
    throw new StageFailure(
      `nothing to roll back to: ${manifest.deployment} was the first deployment with traffic on ${manifest.endpoint}`,
    );
  }
  const [workspace, { setEndpointTraffic }] = await Promise.all([
    openWorkspace(ctx, manifest.workspace),
    import('../deploy/azureml-online.js'),
  ]);
  const { previousTraffic } = await setEndpointTraffic(workspace, manifest.endpoint, manifest.previousTraffic, {
    log,
    pollIntervalMs: pollInterval(host.env.LLMOPS_LRO_POLL_MS),
  }).catch((error: unknown) => {
    throw explainAzureError(error, `rolling back ${manifest.endpoint}`);
  });
  await host.appendSummary(
    `### llmops deploy: rolled back ${code(manifest.endpoint)} from ${code(manifest.deployment)}\n\n` +
      trafficTable(previousTraffic, manifest.previousTraffic) +
      '\n',
  );
  return { 'endpoint-url': manifest.scoringUri, manifest: manifestPath };
}

/** The workspace client, signed in as the inputs (and the runner) say. */
async function openWorkspace(
  { inputs, host, log }: StageContext<typeof deployInputs>,
  coordinates: { subscriptionId: string; resourceGroup: string; workspaceName: string },
) {
  const { openAzureMlWorkspace } = await import('../azure/workspace.js');
  return openAzureMlWorkspace(
    {
      auth: inputs.auth,
      ...coordinates,
      tenantId: inputs['tenant-id'],
      clientId: inputs['client-id'],
      serviceConnection: inputs['azure-subscription'],
    },
    host,
    log,
    'deploy',
  );
}

function trafficTable(before: Record<string, number>, after: Record<string, number>): string {
  return markdownTable(
    ['deployment', 'traffic before', 'traffic now'],
    Object.keys({ ...before, ...after }).map((name) => [code(name), `${before[name] ?? 0}%`, `${after[name] ?? 0}%`]),
  );
}

/** The azure_managed_endpoint entry for `env` in configs/deployment_config.json beside the config, if any. */
async function configuredEndpoint(configPath: string, env: string | undefined): Promise<AzureManagedEndpointConfig | undefined> {
  const file = path.join(path.dirname(configPath), 'configs', 'deployment_config.json');
  if (!env || !existsSync(file)) return undefined;
  const targets = await loadDeploymentConfig(file, env);
  return targets.azureManagedEndpoints[0];
}

function named(input: string, value: string | undefined): string {
  if (!value) throw new ConfigurationError(`${input}: name one, or set it in configs/deployment_config.json for the environment`);
  if (!AZURE_ML_NAME.test(value)) {
    throw new ConfigurationError(`${input}: '${value}' must be 3-32 letters, digits and '-', starting with a letter`);
  }
  return value;
}

function numberOr(value: string | number | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  return Number(value);
}

function pollInterval(value: string | undefined): number | undefined {
  const ms = Number(value);
  return value && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
