/**
 * A prompt flow on an Azure ML managed online endpoint, the way the service wants it: the flow
 * folder is a model version (register-if-changed made it), served by the prompt flow serving
 * image (routes /score and /health on port 8080, PROMPTFLOW_RUN_MODE=serving), no Docker build.
 *
 * The order keeps every failure harmless: the endpoint is created empty when it does not exist,
 * the deployment is created or updated without traffic, and only when it succeeded does one PUT
 * of the endpoint move the traffic (ARM applies it whole or not at all). A deployment that fails
 * leaves the traffic exactly as it was.
 */
import { createHash } from 'node:crypto';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { StageFailure } from '../errors.js';
import { serviceMessage } from '../azure/errors.js';
import type { Logger } from '../host.js';
import { shiftTraffic } from './traffic.js';

export interface AzureMlOnlineDeployment {
  endpointName: string;
  deploymentName: string;
  description?: string;
  /** ARM id of the model version that holds the flow. */
  modelId: string;
  image: string;
  instanceType: string;
  instanceCount: number;
  trafficPercentage: number;
  environmentVariables: Record<string, string>;
}

export interface AzureMlOnlineResult {
  scoringUri: string;
  primaryKey: string;
  traffic: Record<string, number>;
  previousTraffic: Record<string, number>;
  environmentId: string;
  endpointCreated: boolean;
}

export interface WorkspaceRef {
  client: AzureMachineLearningWorkspaces;
  resourceGroup: string;
  workspaceName: string;
}

/** Environment asset for the serving image; its version follows the image, so it is made once. */
const SERVING_ENVIRONMENT = 'llmops-promptflow-serving';
const SERVING_PORT = 8080;

export async function deployToAzureMlOnline(
  workspace: WorkspaceRef,
  request: AzureMlOnlineDeployment,
  options: { log: Logger; pollIntervalMs?: number; setSecret: (value: string) => void },
): Promise<AzureMlOnlineResult> {
  const { client, resourceGroup, workspaceName } = workspace;
  const { log } = options;
  const lro = options.pollIntervalMs === undefined ? {} : { updateIntervalInMs: options.pollIntervalMs };
  const { location } = await client.workspaces.get(resourceGroup, workspaceName);
  if (!location) throw new StageFailure(`workspace ${workspaceName} reports no location`);

  let endpoint = await client.onlineEndpoints.get(resourceGroup, workspaceName, request.endpointName).catch(notFoundAsUndefined);
  const endpointCreated = !endpoint;
  if (!endpoint) {
    log.info(`creating endpoint ${request.endpointName} (key authentication)`);
    endpoint = await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      resourceGroup,
      workspaceName,
      request.endpointName,
      { location, properties: { authMode: 'Key', description: request.description, traffic: {} } },
      lro,
    );
  }

  const environmentVersion = createHash('sha256').update(request.image).digest('hex').slice(0, 12);
  const environment = await client.environmentVersions.createOrUpdate(resourceGroup, workspaceName, SERVING_ENVIRONMENT, environmentVersion, {
    properties: {
      description: `prompt flow serving (${request.image}), made by llmops`,
      image: request.image,
      osType: 'Linux',
      inferenceConfig: {
        livenessRoute: { path: '/health', port: SERVING_PORT },
        readinessRoute: { path: '/health', port: SERVING_PORT },
        scoringRoute: { path: '/score', port: SERVING_PORT },
      },
    },
  });

  log.info(
    `deploying ${request.modelId.split('/models/')[1] ?? request.modelId} as ${request.endpointName}/${request.deploymentName} (${request.instanceCount} x ${request.instanceType})`,
  );
  try {
    await client.onlineDeployments.beginCreateOrUpdateAndWait(
      resourceGroup,
      workspaceName,
      request.endpointName,
      request.deploymentName,
      {
        location,
        sku: { name: 'Default', capacity: request.instanceCount },
        properties: {
          endpointComputeType: 'Managed',
          model: request.modelId,
          environmentId: environment.id!,
          instanceType: request.instanceType,
          environmentVariables: request.environmentVariables,
          description: request.description,
        },
      },
      lro,
    );
  } catch (error) {
    throw new StageFailure(
      `deployment ${request.endpointName}/${request.deploymentName} failed: ${serviceMessage(error)}; endpoint traffic is unchanged`,
    );
  }

  const previousTraffic = { ...(endpoint.properties.traffic ?? {}) };
  const traffic = shiftTraffic(previousTraffic, request.deploymentName, request.trafficPercentage);
  if (traffic[request.deploymentName] !== request.trafficPercentage) {
    log.warning(`${request.deploymentName} is the only deployment with traffic on ${request.endpointName}: it takes 100%`);
  }
  try {
    endpoint = await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      resourceGroup,
      workspaceName,
      request.endpointName,
      { ...endpoint, properties: { ...endpoint.properties, traffic } },
      lro,
    );
  } catch (error) {
    const aftermath = await restoreTraffic(workspace, request.endpointName, previousTraffic, lro);
    throw new StageFailure(
      `deployment ${request.deploymentName} is ready but the traffic change on ${request.endpointName} failed: ${serviceMessage(error)}; ${aftermath}`,
    );
  }
  log.info(`traffic of ${request.endpointName}: ${describe(traffic)} (was ${describe(previousTraffic)})`);

  const keys = await client.onlineEndpoints.listKeys(resourceGroup, workspaceName, request.endpointName);
  if (!keys.primaryKey) throw new StageFailure(`endpoint ${request.endpointName} returned no key`);
  options.setSecret(keys.primaryKey);
  if (keys.secondaryKey) options.setSecret(keys.secondaryKey);
  const scoringUri = endpoint.properties.scoringUri;
  if (!scoringUri) throw new StageFailure(`endpoint ${request.endpointName} has no scoring URI yet`);
  return { scoringUri, primaryKey: keys.primaryKey, traffic, previousTraffic, environmentId: environment.id!, endpointCreated };
}

/**
 * Rollback: give the endpoint `traffic` (what a deploy recorded as its previous traffic) in one
 * change. Deployments are left in place, so rolling forward again is a traffic change too.
 */
export async function setEndpointTraffic(
  workspace: WorkspaceRef,
  endpointName: string,
  traffic: Record<string, number>,
  options: { log: Logger; pollIntervalMs?: number },
): Promise<{ scoringUri: string; previousTraffic: Record<string, number> }> {
  const { client, resourceGroup, workspaceName } = workspace;
  const lro = options.pollIntervalMs === undefined ? {} : { updateIntervalInMs: options.pollIntervalMs };
  const endpoint = await client.onlineEndpoints.get(resourceGroup, workspaceName, endpointName);
  const previousTraffic = { ...(endpoint.properties.traffic ?? {}) };
  // Every deployment that has traffic now is named, so the ones the rollback leaves out go to 0.
  const next = { ...Object.fromEntries(Object.keys(previousTraffic).map((name) => [name, 0])), ...traffic };
  try {
    const updated = await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      resourceGroup,
      workspaceName,
      endpointName,
      { ...endpoint, properties: { ...endpoint.properties, traffic: next } },
      lro,
    );
    options.log.info(`traffic of ${endpointName}: ${describe(next)} (was ${describe(previousTraffic)})`);
    return { scoringUri: updated.properties.scoringUri ?? '', previousTraffic };
  } catch (error) {
    throw new StageFailure(`rolling back the traffic of ${endpointName} failed: ${serviceMessage(error)}`);
  }
}

/**
 * After a failed traffic change: whatever the service kept, the endpoint ends with the traffic
 * it had before (put back if need be), and the message says which it was.
 */
async function restoreTraffic(
  workspace: WorkspaceRef,
  endpointName: string,
  previousTraffic: Record<string, number>,
  lro: { updateIntervalInMs?: number },
): Promise<string> {
  const { client, resourceGroup, workspaceName } = workspace;
  try {
    const endpoint = await client.onlineEndpoints.get(resourceGroup, workspaceName, endpointName);
    const now = endpoint.properties.traffic ?? {};
    if (sameTraffic(now, previousTraffic)) return `traffic is unchanged (${describe(previousTraffic)})`;
    await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      resourceGroup,
      workspaceName,
      endpointName,
      { ...endpoint, properties: { ...endpoint.properties, traffic: previousTraffic } },
      lro,
    );
    return `traffic was put back (${describe(previousTraffic)})`;
  } catch (error) {
    return `putting the traffic back (${describe(previousTraffic)}) failed too: ${serviceMessage(error)}`;
  }
}

function sameTraffic(a: Record<string, number>, b: Record<string, number>): boolean {
  const shares = (traffic: Record<string, number>) =>
    Object.entries(traffic)
      .filter(([, share]) => share > 0)
      .map(([name, share]) => `${name.toLowerCase()}=${share}`)
      .sort()
      .join(',');
  return shares(a) === shares(b);
}

function notFoundAsUndefined(error: unknown): undefined {
  if ((error as { statusCode?: number }).statusCode === 404) return undefined;
  throw error;
}

const describe = (traffic: Record<string, number>) =>
  Object.keys(traffic).length === 0 ? 'none' : Object.entries(traffic).map(([name, share]) => `${name} ${share}%`).join(', ');

