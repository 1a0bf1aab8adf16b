import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type {
  AzureBlobDatastore,
  AzureMachineLearningWorkspaces,
  Datastore,
  DataVersionBase,
  ModelVersion,
} from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/core-auth';
import {
  AnonymousCredential,
  BlobServiceClient,
  type BlobServiceClientOptions,
  type ContainerClient,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { ConfigurationError } from '../errors.js';
import { validateAssetName } from '../registry/local.js';
import type { AssetKind, AssetVersion, RegisterRequest, Registry } from '../registry/types.js';

export { promptFlowModelProperties } from './promptflow-model.js';

/**
 * Data assets and flows (as models) in an Azure Machine Learning workspace.
 *
 * Content goes where azure-ai-ml puts it, so the studio and the Python SDK read it as their own:
 * blobs under LocalUpload/<hash>/<folder or file name>/ on the workspace's default blob datastore,
 * and the first blob (in hash order) marked with metadata upload_status=completed once every blob
 * is there. The version is created only after that mark, so no version ever points at partial
 * content; a later run that finds the mark skips the upload.
 *
 * The content hash is stored in the version's properties (immutable in Azure ML, unlike tags)
 * under `llmops.content_hash`; the service never deduplicates, so "changed or not" is decided here.
 */

export const CONTENT_HASH_PROPERTY = 'llmops.content_hash';
/** azure-ai-ml's marker on the indicator blob. */
const UPLOAD_STATUS = { upload_status: 'completed' } as const;
const UPLOAD_CONCURRENCY = 8;
/** PUT attempts before giving up on a version number other writers keep taking. */
const MAX_VERSION_ATTEMPTS = 5;

export interface AzureMlRegistryOptions {
  /** The management client, already signed in (see createAzureCredential). */
  client: AzureMachineLearningWorkspaces;
  resourceGroup: string;
  workspaceName: string;
  /** Identity for identity-based datastores (credentials type None). */
  credential?: TokenCredential;
  /** Upload to this datastore instead of the workspace default. */
  datastoreName?: string;
  /**
   * Blob service URL of a datastore. The default is what azure-ai-ml builds,
   * `<protocol>://<account>.blob.<endpoint>`; tests point it at Azurite.
   */
  blobServiceUrl?: (datastore: AzureBlobDatastore) => string;
  /** Options for the storage client (retries, TLS for a test endpoint). */
  storageOptions?: BlobServiceClientOptions;
  log?: { info(message: string): void };
  /** Register a secret value with the host's masking before it is used (Host.setSecret). */
  setSecret?: (value: string) => void;
}

interface UploadTarget {
  datastoreName: string;
  container: ContainerClient;
}

type VersionResource = ModelVersion | DataVersionBase;

export class AzureMlRegistry implements Registry {
  readonly kind = 'azureml' as const;
  private target: Promise<UploadTarget> | undefined;
  /** Secret values seen (datastore keys, SAS tokens): scrubbed from any error we raise. */
  private readonly secrets = new Set<string>();

  constructor(private readonly options: AzureMlRegistryOptions) {}

  /**
   * The newest version by creation time, as Azure ML defines "latest" (and azure-ai-ml asks:
   * $orderBy=createdtime desc, $top=1): one ARM request. For versions llmops numbers itself this is
   * also the highest number. Archived versions are not considered.
   */
  async latest(kind: AssetKind, name: string): Promise<AssetVersion | undefined> {
    validateAssetName(name);
    const { client, resourceGroup, workspaceName } = this.options;
    const listOptions = { orderBy: 'createdtime desc', top: 1 };
    const pages =
      kind === 'model'
        ? client.modelVersions.list(resourceGroup, workspaceName, name, listOptions).byPage()
        : client.dataVersions.list(resourceGroup, workspaceName, name, listOptions).byPage();
    // Only the first page: whether or not the service offers a nextLink past $top, we never follow it.
    let first: Awaited<ReturnType<typeof pages.next>>;
    try {
      first = await pages.next();
    } catch (error) {
      // The service lists an unknown asset as empty; a 404 would mean the same thing.
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
    const newest = first.done ? undefined : (first.value[0] as VersionResource | undefined);
    return newest ? this.toAssetVersion(kind, name, newest) : undefined;
  }

  async register(request: RegisterRequest): Promise<AssetVersion & { created: boolean }> {
    const { kind, name } = request;
    validateAssetName(name);
    if (request.files.length === 0) {
      throw new ConfigurationError(`${request.sourcePath}: no files to register for ${kind} '${name}'`);
    }

    // Unchanged content is the common case in CI: one read, no upload, no write.
    const newest = await this.latest(kind, name);
    if (newest?.hash === request.hash) return { ...newest, created: false };

    const target = await this.uploadTarget();
    const { path, isFile } = await this.upload(request, target);
    const uri = this.datastoreUri(target.datastoreName, path);
    const body = this.versionBody(request, uri, isFile);

    let version = nextNumber(newest?.version);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.putVersion(kind, name, version, body);
      if (outcome !== 'conflict' && hashOf(outcome.resource) === request.hash) {
        const registered = this.toAssetVersion(kind, name, outcome.resource);
        this.options.log?.info(
          outcome.created
            ? `Registered ${kind} ${name}:${registered.version} (${uri})`
            : `${kind} ${name}:${registered.version} already holds this content (registered concurrently)`,
        );
        return { ...registered, created: outcome.created };
      }
      // Another writer took `version` with other content. Its version may even hold our content.
      const current = await this.latest(kind, name);
      if (current?.hash === request.hash) return { ...current, created: false };
      if (attempt >= MAX_VERSION_ATTEMPTS) {
        throw new Error(`could not register ${kind} '${name}': version ${version} was taken by another writer ${attempt} times`);
      }
      version = await this.containerNextVersion(kind, name);
    }
  }

  // ---- versions --------------------------------------------------------------------------------

  private versionBody(request: RegisterRequest, uri: string, isFile: boolean): ModelVersion | DataVersionBase {
    const common = {
      description: request.description,
      tags: { ...request.tags },
      // Deterministic (no timestamps, no run ids): two writers of one content send the same body,
      // so the second PUT of a version is a no-op instead of a conflict.
      properties: { ...request.properties, [CONTENT_HASH_PROPERTY]: request.hash },
      isAnonymous: false,
      isArchived: false,
    };
    if (request.kind === 'model') {
      return { properties: { ...common, modelUri: uri, modelType: 'custom_model' } };
    }
    return { properties: { ...common, dataType: isFile ? 'uri_file' : 'uri_folder', dataUri: uri } };
  }

  /**
   * PUT one version number. The version is ours when the stored resource carries our hash; a 409
   * means the number holds other content (versions are immutable).
   */
  private async putVersion(
    kind: AssetKind,
    name: string,
    version: string,
    body: ModelVersion | DataVersionBase,
  ): Promise<{ resource: VersionResource; created: boolean } | 'conflict'> {
    const { client, resourceGroup, workspaceName } = this.options;
    let status = 0;
    const onResponse = (response: { status: number }) => {
      status = response.status;
    };
    try {
      const resource =
        kind === 'model'
          ? await client.modelVersions.createOrUpdate(resourceGroup, workspaceName, name, version, body as ModelVersion, {
              onResponse,
            })
          : await client.dataVersions.createOrUpdate(resourceGroup, workspaceName, name, version, body as DataVersionBase, {
              onResponse,
            });
      return { resource, created: wasCreated(status, resource) };
    } catch (error) {
      if (statusOf(error) === 409) return 'conflict';
      throw error;
    }
  }

  /** The service's own next number (container.nextVersion); '1' for a new asset. */
  private async containerNextVersion(kind: AssetKind, name: string): Promise<string> {
    const { client, resourceGroup, workspaceName } = this.options;
    try {
      const container =
        kind === 'model'
          ? await client.modelContainers.get(resourceGroup, workspaceName, name)
          : await client.dataContainers.get(resourceGroup, workspaceName, name);
      return container.properties.nextVersion ?? '1';
    } catch (error) {
      if (statusOf(error) === 404) return '1';
      throw error;
    }
  }

  private toAssetVersion(kind: AssetKind, name: string, resource: VersionResource): AssetVersion {
    const properties = resource.properties;
    const uri = 'modelUri' in properties ? properties.modelUri : 'dataUri' in properties ? properties.dataUri : undefined;
    return {
      kind,
      name,
      version: resource.name ?? '',
      // Versions registered by other tools carry no hash and never match one.
      hash: hashOf(resource) ?? '',
      tags: withoutNulls(properties.tags),
      properties: withoutNulls(properties.properties),
      uri: uri ?? '',
      createdAt: resource.systemData?.createdAt?.toISOString() ?? '',
    };
  }

  // ---- content upload --------------------------------------------------------------------------

  /** Uploads the files unless a completed upload of this hash is already there. */
  private async upload(request: RegisterRequest, target: UploadTarget): Promise<{ path: string; isFile: boolean }> {
    const source = resolve(request.sourcePath);
    const isFile = (await statOrExplain(source)).isFile();
    const prefix = `LocalUpload/${blobSafeHash(request.hash)}/${basename(source)}`;
    const blobs = isFile
      ? [{ blob: prefix, file: source }]
      : request.files.map((file) => ({ blob: `${prefix}/${file}`, file: join(source, ...file.split('/')) }));
    const indicator = target.container.getBlockBlobClient(blobs[0]!.blob);

    try {
      if (await isUploadComplete(indicator)) {
        this.options.log?.info(`Content ${request.hash} is already in datastore ${target.datastoreName}; not uploading`);
        return { path: prefix, isFile };
      }
      this.options.log?.info(`Uploading ${blobs.length} file(s) to datastore ${target.datastoreName} at ${prefix}`);
      await forEachLimited(blobs, UPLOAD_CONCURRENCY, async ({ blob, file }) => {
        await statOrExplain(file);
        await target.container.getBlockBlobClient(blob).uploadFile(file);
      });
      // Last: the mark that says every blob above is complete.
      await indicator.setMetadata({ ...UPLOAD_STATUS });
    } catch (error) {
      if (error instanceof ConfigurationError) throw error;
      // Storage errors can quote request URLs; a SAS token sits in those.
      throw new Error(this.redact(`uploading ${request.kind} '${request.name}' to datastore ${target.datastoreName} failed: ${(error as Error).message}`));
    }
    return { path: prefix, isFile };
  }

  private uploadTarget(): Promise<UploadTarget> {
    this.target ??= this.resolveUploadTarget().catch((error: unknown) => {
      this.target = undefined; // a transient failure should not stick for the registry's lifetime
      throw error;
    });
    return this.target;
  }

  private async resolveUploadTarget(): Promise<UploadTarget> {
    const { client, resourceGroup, workspaceName, datastoreName } = this.options;
    let datastore: Datastore | undefined;
    if (datastoreName) {
      datastore = await client.datastores.get(resourceGroup, workspaceName, datastoreName);
    } else {
      const first = await client.datastores.list(resourceGroup, workspaceName, { isDefault: true }).byPage().next();
      datastore = first.done ? undefined : first.value[0];
      if (!datastore) throw new ConfigurationError(`workspace ${workspaceName} has no default datastore`);
    }
    const name = datastore.name ?? datastoreName ?? 'workspaceblobstore';
    const properties = datastore.properties;
    if (properties.datastoreType !== 'AzureBlob') {
      throw new ConfigurationError(
        `datastore ${name} is ${properties.datastoreType}; llmops uploads to Azure Blob datastores only`,
      );
    }
    const blob = properties as AzureBlobDatastore;
    if (!blob.accountName || !blob.containerName) {
      throw new ConfigurationError(`datastore ${name} has no storage account or container`);
    }
    const url =
      this.options.blobServiceUrl?.(blob) ??
      `${blob.protocol ?? 'https'}://${blob.accountName}.blob.${blob.endpoint ?? 'core.windows.net'}`;
    const service = await this.blobService(name, blob, url);
    return { datastoreName: name, container: service.getContainerClient(blob.containerName) };
  }

  private async blobService(name: string, datastore: AzureBlobDatastore, url: string): Promise<BlobServiceClient> {
    const { client, resourceGroup, workspaceName, storageOptions } = this.options;
    const type = datastore.credentials.credentialsType;
    switch (type) {
      case 'AccountKey':
      case 'Sas': {
        const secrets = (await client.datastores.listSecrets(resourceGroup, workspaceName, name)) as {
          secretsType: string;
          key?: string;
          sasToken?: string;
        };
        if (type === 'AccountKey') {
          if (!secrets.key) throw new ConfigurationError(`datastore ${name}: listSecrets returned no account key`);
          this.secret(secrets.key);
          return new BlobServiceClient(url, new StorageSharedKeyCredential(datastore.accountName!, secrets.key), storageOptions);
        }
        if (!secrets.sasToken) throw new ConfigurationError(`datastore ${name}: listSecrets returned no SAS token`);
        const sas = secrets.sasToken.replace(/^\?/, '');
        this.secret(sas);
        return new BlobServiceClient(`${url}?${sas}`, new AnonymousCredential(), storageOptions);
      }
      case 'None': {
        // Identity-based access: the pipeline's own identity needs Storage Blob Data Contributor.
        if (!this.options.credential) {
          throw new ConfigurationError(`datastore ${name} uses identity-based access; a credential is needed to upload`);
        }
        return new BlobServiceClient(url, this.options.credential, storageOptions);
      }
      default:
        throw new ConfigurationError(
          `datastore ${name} uses ${type} credentials; llmops supports account key, SAS and identity-based datastores`,
        );
    }
  }

  private secret(value: string): void {
    this.options.setSecret?.(value);
    this.secrets.add(value);
  }

  private redact(text: string): string {
    let result = text.replace(/([?&]sig=)[^&\s'"]+/gi, '$1***');
    for (const value of this.secrets) result = result.split(value).join('***');
    return result;
  }

  private datastoreUri(datastoreName: string, path: string): string {
    const { client, resourceGroup, workspaceName } = this.options;
    return (
      `azureml://subscriptions/${client.subscriptionId}/resourcegroups/${resourceGroup}` +
      `/workspaces/${workspaceName}/datastores/${datastoreName}/paths/${path}`
    );
  }
}

/** Numbered versions count up from the newest; anything else lets the service pick. */
function nextNumber(version: string | undefined): string {
  if (version === undefined) return '1';
  return /^[0-9]+$/.test(version) ? String(Number(version) + 1) : '1';
}

/**
 * Whether our PUT made the version. ARM answers 201 for a create; a 200 for a version modified
 * since its creation means it existed (a concurrent writer of the same content got there first).
 */
function wasCreated(status: number, resource: VersionResource): boolean {
  if (status === 201) return true;
  const created = resource.systemData?.createdAt?.getTime();
  const modified = resource.systemData?.lastModifiedAt?.getTime();
  return created !== undefined && created === modified;
}

function hashOf(resource: VersionResource): string | undefined {
  return resource.properties.properties?.[CONTENT_HASH_PROPERTY] ?? undefined;
}

function withoutNulls(record: Record<string, string | null> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(record ?? {})) if (value !== null) result[key] = value;
  return result;
}

/** `sha256:<hex>` -> `<hex>`: a blob path segment without ':' that still names the content. */
function blobSafeHash(hash: string): string {
  const id = hash.replace(/^sha256:/, '');
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) {
    throw new ConfigurationError(`content hash ${JSON.stringify(hash)} cannot be used in a blob path`);
  }
  return id;
}

async function isUploadComplete(indicator: ReturnType<ContainerClient['getBlockBlobClient']>): Promise<boolean> {
  try {
    const properties = await indicator.getProperties();
    return properties.metadata?.upload_status === UPLOAD_STATUS.upload_status;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw error;
  }
}

async function statOrExplain(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigurationError(`${path}: no such file; the asset changed since it was hashed`);
    }
    throw error;
  }
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error
    ? (error as { statusCode?: number }).statusCode
    : undefined;
}

async function forEachLimited<T>(items: readonly T[], limit: number, action: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await action(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  // Every worker settles before we return or throw: no upload outlives a failed register().
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
