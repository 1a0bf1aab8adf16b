/**
 * From the stage's inputs to a Registry: a folder, or an Azure ML workspace signed in with the
 * credential the runner offers. The Azure SDK is loaded only for `azureml`.
 */
import path from 'node:path';
import { CLOUD_ENV, openAzureMlWorkspace, type AzureWorkspaceInputs } from '../azure/workspace.js';
import type { Host, Logger } from '../host.js';
import { LocalRegistry } from '../registry/local.js';
import type { Registry } from '../registry/types.js';
import type { RegistryCoordinates } from './manifest.js';

export interface RegistryTarget {
  registry: Registry;
  /** Where the versions are, for the manifest (no secrets). */
  coordinates: RegistryCoordinates;
}

export interface RegistryInputs extends AzureWorkspaceInputs {
  registry: 'local' | 'azureml';
  /** Local registry folder, relative to the working directory. */
  registryPath: string;
}

export async function openRegistry(inputs: RegistryInputs, host: Host, log: Logger): Promise<RegistryTarget> {
  if (inputs.registry === 'local') {
    const root = path.resolve(host.workingDirectory, inputs.registryPath);
    return { registry: new LocalRegistry(root), coordinates: { kind: 'local', path: root } };
  }
  return openAzureMlRegistry(inputs, host, log);
}

async function openAzureMlRegistry(inputs: RegistryInputs, host: Host, log: Logger): Promise<RegistryTarget> {
  const [workspace, { AzureMlRegistry }] = await Promise.all([
    openAzureMlWorkspace(inputs, host, log, "registry 'azureml'"),
    import('../azure/registry.js'),
  ]);
  const blobEndpoint = host.env[CLOUD_ENV.blobEndpoint] || undefined;
  const { client, credential, subscriptionId, resourceGroup, workspaceName } = workspace;
  const registry = new AzureMlRegistry({
    client,
    resourceGroup,
    workspaceName,
    credential,
    ...(blobEndpoint && {
      blobServiceUrl: (datastore) => blobEndpoint.replace('{account}', datastore.accountName ?? ''),
    }),
    log,
    setSecret: (value) => host.setSecret(value),
  });
  return { registry, coordinates: { kind: 'azureml', subscriptionId, resourceGroup, workspaceName } };
}
