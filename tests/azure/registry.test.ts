import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  BlobServiceClient,
  generateAccountSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AzureMlRegistry,
  type AzureMlRegistryOptions,
  CONTENT_HASH_PROPERTY,
  promptFlowModelProperties,
} from '../../packages/core/src/azure/registry.js';
import { ConfigurationError } from '../../packages/core/src/errors.js';
import type { RegisterRequest } from '../../packages/core/src/registry/types.js';
import { type AzureEmulator, createMlClient, startAzureEmulator } from '../harness/azure-emulator/index.js';
import { type Azurite, startAzurite } from '../harness/azurite.js';

/**
 * AzureMlRegistry against the ARM emulator and Azurite: the real management client and the real
 * storage client. Secrets are canary values checked never to leak.
 */

const CONTAINER = 'azureml-blobstore-llmops';
const ACCOUNT_KEY = randomBytes(64).toString('base64'); // canary: Azurite runs with this key

let azurite: Azurite;
let emulator: AzureEmulator;
let blobs: BlobServiceClient;
let work: string;
let flowDir: string;
let datasetFile: string;
const lines: string[] = [];
const masked: string[] = [];

function fakeHash(label: string): string {
  return `sha256:${createHash('sha256').update(label).digest('hex')}`;
}

function registry(overrides: Partial<AzureMlRegistryOptions> = {}): AzureMlRegistry {
  return new AzureMlRegistry({
    client: createMlClient(emulator),
    resourceGroup: emulator.scope.resourceGroup,
    workspaceName: emulator.scope.workspaceName,
    blobServiceUrl: () => azurite.blobEndpoint,
    log: { info: (line) => lines.push(line) },
    setSecret: (value) => masked.push(value),
    ...overrides,
  });
}

function flowRequest(name: string, hash: string): RegisterRequest {
  return {
    kind: 'model',
    name,
    hash,
    sourcePath: flowDir,
    files: ['flow.dag.yaml', 'prompts/classify.jinja2'],
    description: 'web classification flow',
    tags: { experiment: 'web_classification' },
    properties: promptFlowModelProperties({ flowId: 'web-classification', chat: { input: 'question', output: 'answer' } }),
  };
}

async function blobNames(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of blobs.getContainerClient(CONTAINER).listBlobsFlat({ prefix })) names.push(blob.name);
  return names.sort();
}

beforeAll(async () => {
  azurite = await startAzurite({ accountKey: ACCOUNT_KEY });
  emulator = await startAzureEmulator({
    defaultDatastore: {
      accountName: azurite.accountName,
      containerName: CONTAINER,
      secrets: { secretsType: 'AccountKey', key: ACCOUNT_KEY },
    },
  });
  blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  await blobs.getContainerClient(CONTAINER).create();

  work = mkdtempSync(join(tmpdir(), 'llmops-azreg-'));
  flowDir = join(work, 'web-classification');
  mkdirSync(join(flowDir, 'prompts'), { recursive: true });
  writeFileSync(join(flowDir, 'flow.dag.yaml'), 'inputs:\n  url: {type: string}\n');
  writeFileSync(join(flowDir, 'prompts', 'classify.jinja2'), 'Classify {{url}}\n');
  datasetFile = join(work, 'questions.jsonl');
  writeFileSync(datasetFile, '{"url": "https://example.com"}\n');
});

afterAll(async () => {
  await emulator?.stop();
  await azurite?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  emulator.calls.clear();
  emulator.faults.clear();
});

describe('AzureMlRegistry', () => {
  it('has no latest version for a new asset, in one ARM request', async () => {
    expect(await registry().latest('model', 'never-registered')).toBeUndefined();
    expect(emulator.calls.entries.map((call) => `${call.method} ${call.path}`)).toEqual([
      `GET ${emulator.state.id('models', 'never-registered', 'versions')}`,
    ]);
    expect(emulator.calls.entries[0]?.query).toMatchObject({ $orderBy: 'createdtime desc', $top: '1' });
  });

  it('uploads the flow, marks the upload complete, then creates version 1', async () => {
    const hash = fakeHash('flow-v1');
    const result = await registry().register(flowRequest('wc-flow', hash));

    const hex = hash.slice('sha256:'.length);
    expect(result).toMatchObject({ kind: 'model', name: 'wc-flow', version: '1', hash, created: true });
    expect(result.uri).toBe(
      `azureml://subscriptions/${emulator.scope.subscriptionId}/resourcegroups/${emulator.scope.resourceGroup}` +
        `/workspaces/${emulator.scope.workspaceName}/datastores/workspaceblobstore/paths/LocalUpload/${hex}/web-classification`,
    );
    expect(result.properties).toMatchObject({
      'azureml.promptflow.source_flow_id': 'web-classification',
      'azureml.promptflow.mode': 'chat',
      [CONTENT_HASH_PROPERTY]: hash,
    });

    expect(await blobNames(`LocalUpload/${hex}/`)).toEqual([
      `LocalUpload/${hex}/web-classification/flow.dag.yaml`,
      `LocalUpload/${hex}/web-classification/prompts/classify.jinja2`,
    ]);
    const indicator = blobs.getContainerClient(CONTAINER).getBlobClient(`LocalUpload/${hex}/web-classification/flow.dag.yaml`);
    expect((await indicator.getProperties()).metadata).toEqual({ upload_status: 'completed' });

    const stored = emulator.state.versions('models', 'wc-flow');
    expect(stored).toHaveLength(1);
    expect(stored[0]?.properties).toMatchObject({ modelType: 'custom_model', modelUri: result.uri });
    // list (latest), default datastore, its secrets, the version PUT
    expect(emulator.calls.entries.map((call) => call.method)).toEqual(['GET', 'GET', 'POST', 'PUT']);
  });

  it('does nothing but one read when the content is unchanged', async () => {
    const hash = fakeHash('flow-v1');
    const result = await registry().register(flowRequest('wc-flow', hash));
    expect(result).toMatchObject({ version: '1', created: false });
    expect(emulator.calls.entries).toHaveLength(1);
    expect(emulator.calls.writes()).toEqual([]);
  });

  it('creates the next version when the content changed', async () => {
    const result = await registry().register(flowRequest('wc-flow', fakeHash('flow-v2')));
    expect(result).toMatchObject({ version: '2', created: true });
    expect((await registry().latest('model', 'wc-flow'))?.version).toBe('2');
  });

  it('registers a single-file dataset as a uri_file data asset', async () => {
    const hash = fakeHash('questions-v1');
    const result = await registry().register({
      kind: 'data',
      name: 'questions',
      hash,
      sourcePath: datasetFile,
      files: ['questions.jsonl'],
    });
    expect(result).toMatchObject({ kind: 'data', version: '1', created: true });
    expect(result.uri).toMatch(new RegExp(`/paths/LocalUpload/${hash.slice(7)}/questions\\.jsonl$`));
    expect(emulator.state.versions('data', 'questions')[0]?.properties).toMatchObject({ dataType: 'uri_file' });
  });

  it('skips the upload when a completed upload of the hash is already there', async () => {
    // Same content under another asset name: the blobs exist and carry the completion mark.
    const before = (await blobs.getContainerClient(CONTAINER).getBlobClient(
      `LocalUpload/${fakeHash('flow-v2').slice(7)}/web-classification/prompts/classify.jinja2`,
    ).getProperties()).lastModified;
    const result = await registry().register(flowRequest('wc-flow-copy', fakeHash('flow-v2')));
    expect(result).toMatchObject({ version: '1', created: true });
    expect(lines.at(-2)).toMatch(/already in datastore workspaceblobstore; not uploading/);
    const after = (await blobs.getContainerClient(CONTAINER).getBlobClient(
      `LocalUpload/${fakeHash('flow-v2').slice(7)}/web-classification/prompts/classify.jinja2`,
    ).getProperties()).lastModified;
    expect(after).toEqual(before);
  });

  it('ends with one version when two writers register the same content at once', async () => {
    const hash = fakeHash('race-same');
    const [a, b] = await Promise.all([
      registry().register(flowRequest('race-same', hash)),
      registry().register(flowRequest('race-same', hash)),
    ]);
    expect(a.version).toBe(b.version);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(emulator.state.versions('models', 'race-same')).toHaveLength(1);
  });

  it('gives two writers of different content two versions', async () => {
    await registry().register(flowRequest('race-diff', fakeHash('race-base')));
    const [a, b] = await Promise.all([
      registry().register(flowRequest('race-diff', fakeHash('race-a'))),
      registry().register(flowRequest('race-diff', fakeHash('race-b'))),
    ]);
    expect([a.version, b.version].sort()).toEqual(['2', '3']);
    expect(a.created && b.created).toBe(true);
    const stored = emulator.state.versions('models', 'race-diff');
    expect(stored.map((version) => (version.properties.properties as Record<string, string>)[CONTENT_HASH_PROPERTY])).toEqual(
      expect.arrayContaining([fakeHash('race-base'), fakeHash('race-a'), fakeHash('race-b')]),
    );
    expect(stored).toHaveLength(3);
  });

  it('rides out throttling and a dropped connection on the version PUT', async () => {
    emulator.faults.throttle({ retryAfterSeconds: 0, match: { method: 'PUT' } });
    emulator.faults.dropConnection({ match: { method: 'PUT' } });
    const result = await registry().register(flowRequest('flaky', fakeHash('flaky')));
    expect(result).toMatchObject({ version: '1', created: true });
    expect(emulator.state.versions('models', 'flaky')).toHaveLength(1);
  });

  it('creates no version when the upload fails, and keeps the key out of the error', async () => {
    const failing = registry({
      blobServiceUrl: () => `http://127.0.0.1:9/${azurite.accountName}`, // nothing listens there
      storageOptions: { retryOptions: { maxTries: 1 } },
    });
    const error = await failing.register(flowRequest('no-half', fakeHash('no-half'))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toMatch(/^uploading model 'no-half' to datastore workspaceblobstore failed/);
    expect(String((error as Error).message)).not.toContain(ACCOUNT_KEY);
    expect(emulator.state.versions('models', 'no-half')).toEqual([]);
    expect(emulator.calls.matching('PUT')).toEqual([]);
  });

  it('refuses files that vanished since hashing, before any write', async () => {
    const request = { ...flowRequest('vanished', fakeHash('vanished')), files: ['flow.dag.yaml', 'gone.py'] };
    await expect(registry().register(request)).rejects.toThrow(ConfigurationError);
    expect(emulator.state.versions('models', 'vanished')).toEqual([]);
  });

  it('uploads with a SAS datastore and masks the token', async () => {
    const sas = generateAccountSASQueryParameters(
      {
        permissions: AccountSASPermissions.parse('rwlac'),
        services: AccountSASServices.parse('b').toString(),
        resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
        expiresOn: new Date(Date.now() + 3600_000),
      },
      new StorageSharedKeyCredential(azurite.accountName, ACCOUNT_KEY),
    ).toString();
    const id = emulator.state.id('datastores', 'sasstore');
    emulator.state.put({
      id,
      name: 'sasstore',
      type: 'Microsoft.MachineLearningServices/workspaces/datastores',
      properties: {
        datastoreType: 'AzureBlob',
        accountName: azurite.accountName,
        containerName: CONTAINER,
        credentials: { credentialsType: 'Sas' },
        isDefault: false,
      },
    });
    emulator.state.setDatastoreSecrets(id, { secretsType: 'Sas', sasToken: sas });

    const result = await registry({ datastoreName: 'sasstore' }).register(flowRequest('sas-flow', fakeHash('sas-flow')));
    expect(result.uri).toContain('/datastores/sasstore/paths/LocalUpload/');
    expect(masked).toContain(sas);
  });

  it('asks for a credential for an identity-based datastore', async () => {
    const id = emulator.state.id('datastores', 'identitystore');
    emulator.state.put({
      id,
      name: 'identitystore',
      type: 'Microsoft.MachineLearningServices/workspaces/datastores',
      properties: { datastoreType: 'AzureBlob', accountName: 'acct', containerName: CONTAINER, credentials: { credentialsType: 'None' } },
    });
    await expect(
      registry({ datastoreName: 'identitystore' }).register(flowRequest('identity-flow', fakeHash('identity'))),
    ).rejects.toThrow(/identity-based access; a credential is needed/);
  });

  it('never lets the account key, SAS or bearer token reach logs, results or ARM request bodies', async () => {
    const everything = JSON.stringify({ lines, calls: emulator.calls.entries });
    expect(masked).toContain(ACCOUNT_KEY);
    for (const secret of [ACCOUNT_KEY, emulator.token, ...masked]) expect(everything).not.toContain(secret);
    const latest = await registry().latest('model', 'wc-flow');
    for (const secret of [ACCOUNT_KEY, emulator.token, ...masked]) expect(JSON.stringify(latest)).not.toContain(secret);
  });
});
