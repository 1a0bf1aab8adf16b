import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AzureEmulator,
  armClientOptions,
  createMlClient,
  FakeTokenCredential,
  startAzureEmulator,
} from '../harness/azure-emulator/index.js';
import { type Azurite, startAzurite } from '../harness/azurite.js';

/**
 * Self-tests of the Azure harness: the real @azure/arm-machinelearning client, with its real
 * bearer token policy, retry policy and LRO poller, against the HTTPS emulator.
 */

const run = promisify(execFile);
const FAST = { updateIntervalInMs: 0 };

let emulator: AzureEmulator;
let client: AzureMachineLearningWorkspaces;
let rg: string;
let ws: string;

beforeAll(async () => {
  emulator = await startAzureEmulator();
  client = createMlClient(emulator);
  rg = emulator.scope.resourceGroup;
  ws = emulator.scope.workspaceName;
});

afterAll(async () => {
  await emulator?.stop();
});

beforeEach(() => {
  emulator.faults.clear();
  emulator.calls.clear();
});

async function createEndpoint(name: string) {
  return client.onlineEndpoints.beginCreateOrUpdateAndWait(
    rg,
    ws,
    name,
    { location: emulator.scope.location, properties: { authMode: 'Key', description: 'test' } },
    FAST,
  );
}

describe('azure emulator: transport and auth', () => {
  it('serves the real client over HTTPS and sees its bearer token', async () => {
    const credential = new FakeTokenCredential(emulator.token);
    const workspace = await createMlClient(emulator, credential).workspaces.get(rg, ws);

    expect(workspace.name).toBe(ws);
    expect(emulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const [call] = emulator.calls.entries;
    expect(call).toMatchObject({ method: 'GET', apiVersion: '2022-10-01', auth: 'ok', status: 200 });
    expect(credential.requests.map((request) => request.scopes)).toEqual([['https://management.azure.com/.default']]);
  });

  it('is trusted only through the CA it hands out, not by switching verification off', async () => {
    const { tlsOptions: _trust, ...untrusting } = armClientOptions(emulator);
    const stranger = new AzureMachineLearningWorkspaces(emulator.credential(), emulator.scope.subscriptionId, {
      ...untrusting,
      retryOptions: { maxRetries: 0 },
    });
    await expect(stranger.workspaces.get(rg, ws)).rejects.toThrow(/certificate/i);
  });

  it('rejects a wrong bearer token with 401', async () => {
    const intruder = createMlClient(emulator, new FakeTokenCredential('not-the-token'));
    await expect(intruder.workspaces.get(rg, ws)).rejects.toMatchObject({ statusCode: 401 });
    expect(emulator.calls.entries.at(-1)?.auth).toBe('wrong-token');
  });

  it('is trusted by a child process through NODE_EXTRA_CA_CERTS', async () => {
    const script = `
      import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
      const credential = { getToken: async () => ({ token: process.env.TEST_TOKEN, expiresOnTimestamp: Date.now() + 3600e3 }) };
      const client = new AzureMachineLearningWorkspaces(credential, process.env.TEST_SUB, {
        endpoint: process.env.TEST_URL, $host: process.env.TEST_URL,
        credentialScopes: ['https://management.azure.com/.default'],
      });
      const workspace = await client.workspaces.get(process.env.TEST_RG, process.env.TEST_WS);
      process.stdout.write(workspace.name);
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: process.cwd(),
      env: {
        ...process.env,
        ...emulator.childEnv(),
        TEST_TOKEN: emulator.token,
        TEST_SUB: emulator.scope.subscriptionId,
        TEST_URL: emulator.url,
        TEST_RG: rg,
        TEST_WS: ws,
      },
    });
    expect(stdout).toBe(ws);
  });
});

describe('azure emulator: assets', () => {
  it('creates, gets and lists model versions as the SDK sends them', async () => {
    const name = 'web-classification-flow';
    for (const version of ['1', '2']) {
      await client.modelVersions.createOrUpdate(rg, ws, name, version, {
        properties: {
          modelUri: `azureml://datastores/workspaceblobstore/paths/LocalUpload/hash${version}/flow`,
          modelType: 'custom_model',
          tags: { model_hash: `hash${version}` },
          properties: { 'azureml.promptflow.source_flow_id': 'web-classification' },
        },
      });
    }
    const two = await client.modelVersions.get(rg, ws, name, '2');
    expect(two.properties.tags).toEqual({ model_hash: 'hash2' });
    expect(two.systemData?.createdAt).toBeInstanceOf(Date);

    const newest: string[] = [];
    for await (const item of client.modelVersions.list(rg, ws, name, { orderBy: 'createdtime desc', top: 1 })) {
      newest.push(item.name!);
    }
    expect(newest).toEqual(['2']);
    const listCall = emulator.calls.matching('GET', `/models/${name}/versions`).at(-1);
    expect(listCall?.query).toMatchObject({ $orderBy: 'createdtime desc', $top: '1' });

    const container = await client.modelContainers.get(rg, ws, name);
    expect(container.properties).toMatchObject({ latestVersion: '2', nextVersion: '3' });
    expect(emulator.state.versions('models', name).map((version) => version.name)).toEqual(['1', '2']);
  });

  it('refuses to change an existing version\'s content', async () => {
    const name = 'immutable-flow';
    const body = { properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/a' } };
    await client.modelVersions.createOrUpdate(rg, ws, name, '1', body);
    await client.modelVersions.createOrUpdate(rg, ws, name, '1', { properties: { ...body.properties, description: 'same content' } });
    await expect(
      client.modelVersions.createOrUpdate(rg, ws, name, '1', {
        properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/b' },
      }),
    ).rejects.toMatchObject({ statusCode: 409 });
  });

  it('stores data versions and answers 404 for missing ones', async () => {
    await client.dataVersions.createOrUpdate(rg, ws, 'questions', '1', {
      properties: { dataType: 'uri_file', dataUri: 'azureml://datastores/workspaceblobstore/paths/q.jsonl' },
    });
    const data = await client.dataVersions.get(rg, ws, 'questions', '1');
    expect(data.properties).toMatchObject({ dataType: 'uri_file' });
    const container = await client.dataContainers.get(rg, ws, 'questions');
    expect(container.properties).toMatchObject({ dataType: 'uri_file', nextVersion: '2' });
    await expect(client.dataVersions.get(rg, ws, 'questions', '9')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('returns the default datastore and its secrets, keeping secrets out of GET', async () => {
    const defaults = [];
    for await (const datastore of client.datastores.list(rg, ws, { isDefault: true })) defaults.push(datastore);
    expect(defaults.map((datastore) => datastore.name)).toEqual(['workspaceblobstore']);
    const datastore = await client.datastores.get(rg, ws, 'workspaceblobstore');
    expect(datastore.properties).toMatchObject({ datastoreType: 'AzureBlob', accountName: 'devstoreaccount1', isDefault: true });
    expect(JSON.stringify(datastore)).not.toMatch(/"key"/);
    const secrets = await client.datastores.listSecrets(rg, ws, 'workspaceblobstore');
    expect(secrets.secretsType).toBe('AccountKey');
    expect((secrets as { key?: string }).key).toMatch(/^[A-Za-z0-9+/=]{40,}$/);
  });

  it('pages long lists with a nextLink the SDK follows', async () => {
    const small = await startAzureEmulator({ pageSize: 2 });
    try {
      const smallClient = createMlClient(small);
      for (let version = 1; version <= 5; version++) {
        await smallClient.modelVersions.createOrUpdate(rg, ws, 'paged', String(version), { properties: {} });
      }
      const seen: string[] = [];
      for await (const item of smallClient.modelVersions.list(rg, ws, 'paged', { orderBy: 'createdtime asc' })) {
        seen.push(item.name!);
      }
      expect(seen).toEqual(['1', '2', '3', '4', '5']);
      expect(small.calls.matching('GET', '/versions')).toHaveLength(3);
    } finally {
      await small.stop();
    }
  });
});

describe('azure emulator: online endpoints and long-running operations', () => {
  it('creates an endpoint and a deployment through Azure-AsyncOperation polling', async () => {
    const endpoint = await createEndpoint('ep-create');
    expect(endpoint.properties.provisioningState).toBe('Succeeded');
    expect(endpoint.properties.scoringUri).toBe(`https://ep-create.${emulator.scope.location}.inference.ml.azure.com/score`);

    const put = emulator.calls.matching('PUT', '/onlineEndpoints/ep-create')[0];
    expect(put?.status).toBe(201);
    expect(emulator.calls.matching('GET', '/mfeOperationsStatus/').length).toBeGreaterThanOrEqual(2);

    const deployment = await client.onlineDeployments.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'ep-create',
      'blue',
      {
        location: emulator.scope.location,
        properties: { endpointComputeType: 'Managed', instanceType: 'Standard_DS3_v2' } as never,
        sku: { name: 'Default', capacity: 1 },
      },
      FAST,
    );
    expect(deployment.properties.provisioningState).toBe('Succeeded');

    const withTraffic = await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'ep-create',
      { ...endpoint, properties: { ...endpoint.properties, traffic: { blue: 100 } } },
      FAST,
    );
    expect(withTraffic.properties.traffic).toEqual({ blue: 100 });

    const keys = await client.onlineEndpoints.listKeys(rg, ws, 'ep-create');
    expect(keys.primaryKey).toBeTruthy();
    expect(keys.primaryKey).not.toBe(keys.secondaryKey);
  });

  it('refuses traffic to a deployment that does not exist', async () => {
    await createEndpoint('ep-traffic');
    await expect(
      client.onlineEndpoints.beginCreateOrUpdateAndWait(
        rg,
        ws,
        'ep-traffic',
        { location: emulator.scope.location, properties: { authMode: 'Key', traffic: { green: 100 } } },
        FAST,
      ),
    ).rejects.toMatchObject({ statusCode: 400 });
  });

  it('patches and deletes through 202 + Location + Retry-After', async () => {
    await createEndpoint('ep-patch');
    emulator.calls.clear();

    const patched = await client.onlineEndpoints.beginUpdateAndWait(rg, ws, 'ep-patch', { tags: { stage: 'dev' } }, FAST);
    expect(patched.tags).toEqual({ stage: 'dev' });
    const patch = emulator.calls.matching('PATCH', '/onlineEndpoints/ep-patch')[0];
    expect(patch?.status).toBe(202);

    await client.onlineEndpoints.beginDeleteAndWait(rg, ws, 'ep-patch', FAST);
    expect(emulator.state.endpoint('ep-patch')).toBeUndefined();
    expect(emulator.calls.matching('GET', '/mfeOperationResults/').length).toBeGreaterThanOrEqual(2);
  });

  it('keeps reporting InProgress for a slow operation until it is done', async () => {
    emulator.faults.slowLro(4, { match: { method: 'PUT', path: '/onlineEndpoints/ep-slow' } });
    const endpoint = await createEndpoint('ep-slow');
    expect(endpoint.properties.provisioningState).toBe('Succeeded');
    // four InProgress answers, then Succeeded
    expect(emulator.calls.matching('GET', '/mfeOperationsStatus/')).toHaveLength(5);
  });

  it('surfaces a failed operation as an error with its code and message', async () => {
    emulator.faults.failLro({ code: 'DeploymentFailed', message: 'Image build failed (injected)' });
    await expect(createEndpoint('ep-failed')).rejects.toThrow(/Image build failed \(injected\)/);
    expect(emulator.state.endpoint('ep-failed')?.properties.provisioningState).toBe('Failed');
  });

  it('surfaces a failed DELETE polled through Location', async () => {
    await createEndpoint('ep-undeletable');
    emulator.faults.failLro({ match: { method: 'DELETE' }, message: 'Delete refused (injected)' });
    await expect(client.onlineEndpoints.beginDeleteAndWait(rg, ws, 'ep-undeletable', FAST)).rejects.toThrow(
      /Delete refused \(injected\)/,
    );
    expect(emulator.state.endpoint('ep-undeletable')?.properties.provisioningState).toBe('Failed');
  });
});

describe('azure emulator: faults the SDK must ride out', () => {
  it('retries a 429 after the Retry-After the emulator sent', async () => {
    emulator.faults.throttle({ retryAfterSeconds: 1, match: { method: 'GET', path: '/workspaces/' } });
    const started = Date.now();
    await client.workspaces.get(rg, ws);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(emulator.calls.entries.map((call) => [call.status, call.fault])).toEqual([
      [429, 'throttle'],
      [200, undefined],
    ]);
  });

  it('retries a 500', async () => {
    emulator.faults.serverError({ times: 2 });
    await client.workspaces.get(rg, ws);
    expect(emulator.calls.entries.map((call) => call.status)).toEqual([500, 500, 200]);
  });

  it('retries a dropped connection', async () => {
    emulator.faults.dropConnection();
    await client.workspaces.get(rg, ws);
    expect(emulator.calls.entries.map((call) => [call.status, call.fault])).toEqual([
      [0, 'drop-connection'],
      [200, undefined],
    ]);
  });

  it('gives up after the retry budget and reports the error', async () => {
    emulator.faults.serverError({ times: 10, status: 503 });
    await expect(client.workspaces.get(rg, ws)).rejects.toMatchObject({ statusCode: 503 });
    expect(emulator.calls.entries).toHaveLength(4); // first try + 3 retries
  });

  it('applies a fault only to matching requests', async () => {
    emulator.faults.serverError({ match: { method: 'PUT', path: '/models/' } });
    await client.workspaces.get(rg, ws);
    expect(emulator.faults.pending).toBe(1);
    expect(emulator.calls.writes()).toHaveLength(0);
  });
});

describe('azure emulator: secrets', () => {
  it('never records the bearer token in the call log', async () => {
    await client.workspaces.get(rg, ws);
    await createEndpoint('ep-canary');
    await client.modelVersions.createOrUpdate(rg, ws, 'canary-model', '1', { properties: {} });
    expect(emulator.calls.entries.length).toBeGreaterThan(3);
    expect(emulator.calls.toString()).not.toContain(emulator.token);
  });
});

describe('azurite', () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('stores and returns a blob with metadata through @azure/storage-blob', async () => {
    expect(azurite.blobEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const container = service.getContainerClient('azureml-blobstore-test');
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient('LocalUpload/abc/flow/flow.dag.yaml');
    await blob.upload('inputs: {}\n', 11, { metadata: { upload_status: 'completed' } });

    const properties = await blob.getProperties();
    expect(properties.metadata).toEqual({ upload_status: 'completed' });
    const text = (await blob.downloadToBuffer()).toString('utf8');
    expect(text).toBe('inputs: {}\n');
  });
});
