/**
 * An Azure ML workspace client signed in with the credential the runner offers, in the cloud the
 * environment or the Azure DevOps service connection names. Loaded on demand: the Azure SDK is
 * a chunk of its own.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { AzureAuth } from './credentials.js';
import { ConfigurationError } from '../errors.js';
import type { AzureServiceConnection, Host, Logger } from '../host.js';

/** Environment variables that point llmops at a non-public cloud (sovereign, private, or a test emulator). */
export const CLOUD_ENV = {
  /** Azure Resource Manager, e.g. https://management.chinacloudapi.cn. The token audience follows it. */
  armEndpoint: 'LLMOPS_ARM_ENDPOINT',
  /**
   * Blob service URL of the datastore's storage account when it is not
   * `<protocol>://<account>.blob.<endpoint suffix>` (a private DNS name, Azurite); `{account}`
   * is replaced with the account name.
   */
  blobEndpoint: 'LLMOPS_BLOB_ENDPOINT',
} as const;

export const PUBLIC_ARM_ENDPOINT = 'https://management.azure.com';

export interface AzureWorkspaceInputs {
  auth: AzureAuth;
  subscriptionId?: string;
  resourceGroup?: string;
  workspaceName?: string;
  tenantId?: string;
  clientId?: string;
  /** Azure DevOps: the AzureRM service connection (its id, as the agent passes it). */
  serviceConnection?: string;
}

export interface AzureMlWorkspace {
  client: AzureMachineLearningWorkspaces;
  credential: TokenCredential;
  subscriptionId: string;
  resourceGroup: string;
  workspaceName: string;
}

/** `purpose` names what needs the workspace in the error about missing inputs. */
export async function openAzureMlWorkspace(
  inputs: AzureWorkspaceInputs,
  host: Host,
  log: Logger,
  purpose: string,
): Promise<AzureMlWorkspace> {
  const connection = serviceConnectionOf(inputs, host);
  const subscriptionId = inputs.subscriptionId || connection?.subscriptionId;
  const missing = (
    [
      [connection ? "subscription-id (or the service connection's subscription)" : 'subscription-id', subscriptionId],
      ['resource-group', inputs.resourceGroup],
      ['workspace-name', inputs.workspaceName],
    ] as const
  )
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new ConfigurationError(`${purpose} needs the input(s) ${missing.join(', ')} (the Azure ML workspace)`);
  }
  // An explicit endpoint wins; else the service connection's cloud; else the public cloud.
  const armEndpointSetting = host.env[CLOUD_ENV.armEndpoint]
    ? { value: host.env[CLOUD_ENV.armEndpoint]!, source: CLOUD_ENV.armEndpoint }
    : connection?.armEndpoint
      ? { value: connection.armEndpoint, source: `the URL of service connection ${connection.id}` }
      : { value: PUBLIC_ARM_ENDPOINT, source: 'the public cloud' };
  const armEndpoint = httpsUrl(armEndpointSetting.value, armEndpointSetting.source);

  // A secret the credential will read must be masked before anything can print it.
  const clientSecret = host.env.AZURE_CLIENT_SECRET;
  if (clientSecret) host.setSecret(clientSecret);

  const [{ AzureMachineLearningWorkspaces }, { createAzureCredential }] = await Promise.all([
    import('@azure/arm-machinelearning'),
    import('./credentials.js'),
  ]);
  const { credential } = createAzureCredential({
    auth: inputs.auth,
    tenantId: inputs.tenantId,
    clientId: inputs.clientId,
    serviceConnectionId: inputs.serviceConnection,
    serviceConnection: connection,
    getIdToken: host.getIdToken?.bind(host),
    env: host.env,
    log,
  });
  // Generated ARM clients build URLs from $host and the token audience from endpoint: both
  // follow the configured cloud.
  const client = new AzureMachineLearningWorkspaces(credential, subscriptionId!, { endpoint: armEndpoint, $host: armEndpoint });
  if (armEndpoint !== PUBLIC_ARM_ENDPOINT) log.info(`Azure Resource Manager: ${armEndpoint} (${armEndpointSetting.source})`);
  return { client, credential, subscriptionId: subscriptionId!, resourceGroup: inputs.resourceGroup!, workspaceName: inputs.workspaceName! };
}

/**
 * The service connection named by the azure-subscription input, where the runner hands one over
 * (Azure DevOps). Named there but not handed over means the pipeline is misconfigured: say so
 * rather than fall back to some other identity.
 */
function serviceConnectionOf(inputs: AzureWorkspaceInputs, host: Host): AzureServiceConnection | undefined {
  if (!inputs.serviceConnection || !host.azureServiceConnection) return undefined;
  const connection = host.azureServiceConnection(inputs.serviceConnection);
  if (!connection) {
    throw new ConfigurationError(
      `azure-subscription: the agent handed this task no service connection '${inputs.serviceConnection}'; name an Azure Resource Manager service connection the pipeline may use`,
    );
  }
  return connection;
}

function httpsUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(`${source}: '${value}' is not a URL`);
  }
  // The SDK's bearer-token policy refuses to send a token over plain http; say so up front.
  if (url.protocol !== 'https:') throw new ConfigurationError(`${source}: '${value}' must be an https URL`);
  return value.replace(/\/+$/, '');
}
