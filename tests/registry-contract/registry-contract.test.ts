/**
 * One contract, both registries: what register-if-changed relies on must hold for the local
 * folder store and for an Azure ML workspace (the HTTPS ARM emulator with the real
 * @azure/arm-machinelearning client, and Azurite for the datastore's blobs).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureMlRegistry } from '../../packages/core/src/azure/registry.js';
import { contentHash } from '../../packages/core/src/hash/index.js';
import { LocalRegistry } from '../../packages/core/src/registry/local.js';
import type { AssetKind, RegisterRequest, Registry } from '../../packages/core/src/registry/types.js';
import { createMlClient, startAzureEmulator, type AzureEmulator } from '../harness/azure-emulator/index.js';
import { startAzurite, type Azurite } from '../harness/azurite.js';

interface RegistryUnderTest {
  registry: Registry;
  dispose(): Promise<void>;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'llmops-registry-contract-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh asset on disk, hashed the way the stage hashes it. */
async function asset(kind: AssetKind, name: string, content: string): Promise<RegisterRequest> {
  const root = path.join(work, `${name}-${Math.random().toString(36).slice(2)}`);
  let sourcePath: string;
  if (kind === 'data') {
    await mkdir(root, { recursive: true });
    sourcePath = path.join(root, 'tickets.jsonl');
    await writeFile(sourcePath, content);
  } else {
    sourcePath = root;
    await mkdir(path.join(root, 'prompts'), { recursive: true });
    await writeFile(path.join(root, 'flow.dag.yaml'), 'inputs:\n  text: {type: string}\n');
    await writeFile(path.join(root, 'prompts', 'classify.jinja2'), content);
  }
  const { hash, files } = await contentHash(sourcePath);
  return { kind, name, hash, sourcePath, files: files.map((file) => file.path), tags: { experiment: 'contract' } };
}

function registryContract(label: string, open: () => Promise<RegistryUnderTest>): void {
  describe(`Registry contract: ${label}`, () => {
    let subject: RegistryUnderTest;
    beforeAll(async () => {
      subject = await open();
    }, 120_000);
    afterAll(async () => subject?.dispose());

    it('knows no version of an asset never registered', async () => {
      expect(await subject.registry.latest('model', 'never_registered')).toBeUndefined();
    });

    it('creates version 1, then answers the same content with it, then makes version 2 for new content', async () => {
      const first = await asset('model', 'contract_flow', 'Classify {{text}}\n');
      const created = await subject.registry.register(first);
      expect(created).toMatchObject({
        kind: 'model',
        name: 'contract_flow',
        version: '1',
        hash: first.hash,
        created: true,
      });
      expect(created.uri).not.toBe('');

      const again = await subject.registry.register(await asset('model', 'contract_flow', 'Classify {{text}}\n'));
      expect(again).toMatchObject({ version: '1', hash: first.hash, created: false });

      const changed = await asset('model', 'contract_flow', 'Classify {{text}} into billing, bug or other\n');
      expect(await subject.registry.register(changed)).toMatchObject({
        version: '2',
        hash: changed.hash,
        created: true,
      });
      expect(await subject.registry.latest('model', 'contract_flow')).toMatchObject({
        version: '2',
        hash: changed.hash,
      });
    });

    it('keeps data and models apart, and registers a single-file data asset', async () => {
      const data = await asset('data', 'contract_flow', '{"text": "my invoice is wrong"}\n');
      expect(await subject.registry.register(data)).toMatchObject({ kind: 'data', version: '1', created: true });
      expect(await subject.registry.latest('model', 'contract_flow')).toMatchObject({ version: '2' });
    });

    it('makes one version when two writers register the same content at once', async () => {
      const request = await asset('data', 'contract_race', '{"text": "same bytes"}\n');
      const results = await Promise.all([
        subject.registry.register(request),
        subject.registry.register({ ...request }),
      ]);
      expect(results.map((result) => result.version)).toEqual(['1', '1']);
      expect(results.filter((result) => result.created)).toHaveLength(1);
      expect(await subject.registry.latest('data', 'contract_race')).toMatchObject({
        version: '1',
        hash: request.hash,
      });
    });
  });
}

registryContract('local folder store', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'llmops-local-registry-'));
  return { registry: new LocalRegistry(root), dispose: () => rm(root, { recursive: true, force: true }) };
});

registryContract('Azure ML workspace (ARM emulator + Azurite)', async () => {
  const accountKey = Buffer.from('llmops-contract-account-key-0123456789abcdef').toString('base64');
  const container = 'azureml-blobstore-contract';
  const azurite: Azurite = await startAzurite({ accountKey });
  const emulator: AzureEmulator = await startAzureEmulator({
    defaultDatastore: {
      accountName: azurite.accountName,
      containerName: container,
      secrets: { secretsType: 'AccountKey', key: accountKey },
    },
  });
  const { BlobServiceClient } = await import('@azure/storage-blob');
  await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container).create();
  const registry = new AzureMlRegistry({
    client: createMlClient(emulator),
    resourceGroup: emulator.scope.resourceGroup,
    workspaceName: emulator.scope.workspaceName,
    blobServiceUrl: () => azurite.blobEndpoint,
  });
  return {
    registry,
    dispose: async () => {
      await emulator.stop();
      await azurite.stop();
    },
  };
});
