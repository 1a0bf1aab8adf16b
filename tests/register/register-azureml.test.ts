/**
 * register-if-changed against an Azure ML workspace: the HTTPS ARM emulator (with its Entra ID
 * and GitHub OIDC stand-ins) and Azurite, driven through the bundled CLI and the bundled GitHub
 * action as child processes that sign in with the real @azure/identity credentials. Secrets are
 * canary values that must never appear in what the stage prints or writes.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  BlobServiceClient,
  generateAccountSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AzureEmulator, startAzureEmulator } from '../harness/azure-emulator/index.js';
import { type Azurite, startAzurite } from '../harness/azurite.js';
import { type FaceResult, runAzurePipelinesTask, runCli, runGitHubAction } from '../harness/runner-faces.js';
import {
  assetsOf,
  copyFixture,
  metricsDocument,
  touchContent,
  versionsOf,
  writeMetrics,
  type Workspace,
} from './helpers.js';

const ACCOUNT_KEY = randomBytes(64).toString('base64'); // canary: Azurite runs with this key

let azurite: Azurite;
let emulator: AzureEmulator;
let w: Workspace;
let containerName: string;

beforeAll(async () => {
  azurite = await startAzurite({ accountKey: ACCOUNT_KEY });
});
afterAll(async () => {
  await azurite?.stop();
});

beforeEach(async () => {
  // A fresh workspace per test: versions and call logs start empty.
  containerName = `azureml-blobstore-${randomBytes(6).toString('hex')}`;
  emulator = await startAzureEmulator({
    defaultDatastore: {
      accountName: azurite.accountName,
      containerName,
      secrets: { secretsType: 'AccountKey', key: ACCOUNT_KEY },
    },
  });
  await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(containerName).create();
  w = await copyFixture();
});
afterEach(async () => {
  await emulator.stop();
  await w.dispose();
});

/** What a process needs to reach the emulators: trust, endpoints. No credentials. */
function cloudEnv(): Record<string, string> {
  return {
    ...emulator.childEnv(),
    LLMOPS_ARM_ENDPOINT: emulator.url,
    LLMOPS_BLOB_ENDPOINT: `http://127.0.0.1:${azurite.port}/{account}`,
  };
}

/** The CLI as Jenkins runs it: a service principal secret in AZURE_* variables. */
function cli(...extra: string[]): Promise<FaceResult> {
  const { scope } = emulator;
  return runCli(
    [
      'register-if-changed',
      '--config',
      w.config,
      '--env',
      'pr',
      '--registry',
      'azureml',
      '--auth',
      'environment',
      '--subscription-id',
      scope.subscriptionId,
      '--resource-group',
      scope.resourceGroup,
      '--workspace-name',
      scope.workspaceName,
      '--output-dir',
      w.outputDir,
      '--json',
      ...extra,
    ],
    { env: { ...cloudEnv(), ...emulator.entra.servicePrincipalEnv() }, timeoutMs: 90_000 },
  );
}

function versionNames(kind: 'models' | 'data', name: string): string[] {
  return emulator.state
    .versions(kind, name)
    .map((version) => version.name)
    .sort();
}

/** Every secret of the run: none may appear in logs, outputs, summaries or manifests. */
function canaries(): Record<string, string> {
  return {
    'client secret': emulator.entra.clientSecret,
    'account key': ACCOUNT_KEY,
    'ARM bearer token': emulator.token,
    'GitHub OIDC token': emulator.entra.githubIdToken,
    'OIDC request token': emulator.entra.githubRequestToken,
    'System.AccessToken': emulator.entra.systemAccessToken,
    'Azure DevOps OIDC token': emulator.entra.azureDevOpsIdToken,
  };
}

async function expectNoSecrets(result: FaceResult, extraCanaries: Record<string, string> = {}): Promise<void> {
  const manifest = await readFile(path.join(w.outputDir, 'registration.json'), 'utf8').catch(() => '');
  for (const [label, secret] of Object.entries({ ...canaries(), ...extraCanaries })) {
    // The runner learns a secret through one masking command; that is the only place it may be.
    const printed = result.stdout
      .split('\n')
      .filter((line) => line.includes(secret) && !line.startsWith('::add-mask::') && !line.startsWith('##vso[task.setsecret]'));
    expect(printed, `${label} in stdout`).toEqual([]);
    expect(result.stderr.includes(secret), `${label} in stderr`).toBe(false);
    expect(result.summary.includes(secret), `${label} in the summary`).toBe(false);
    expect(manifest.includes(secret), `${label} in the manifest`).toBe(false);
  }
}

describe('register-if-changed, Azure ML registry, CLI with a service principal', () => {
  it('signs in with the real credential and registers data and model versions', async () => {
    const result = await cli();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(versionsOf(assetsOf(result.outputs))).toEqual([
      'data:tickets@1*',
      'data:emails@1*',
      'data:tickets_labels@1*',
      'model:triage_pr@1*',
    ]);
    expect(versionNames('models', 'triage_pr')).toEqual(['1']);
    expect(versionNames('data', 'tickets')).toEqual(['1']);
    expect(emulator.entra.tokenRequests).toEqual([
      expect.objectContaining({ grantType: 'client_credentials', credential: 'secret', status: 200 }),
    ]);
    expect(emulator.calls.entries.every((call) => call.auth === 'ok')).toBe(true);

    const manifest = JSON.parse(await readFile(path.join(w.outputDir, 'registration.json'), 'utf8'));
    const { subscriptionId, resourceGroup, workspaceName } = emulator.scope;
    expect(manifest.registry).toEqual({ kind: 'azureml', subscriptionId, resourceGroup, workspaceName });
    const flow = manifest.assets.find((asset: { role: string }) => asset.role === 'flow');
    expect(flow.uri).toMatch(
      new RegExp(
        `^azureml://subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}/workspaces/${workspaceName}/datastores/workspaceblobstore/paths/LocalUpload/[0-9a-f]{64}/classify$`,
      ),
    );
    const model = emulator.state.versions('models', 'triage_pr')[0]!;
    expect(model.properties.properties).toMatchObject({ 'azureml.promptflow.source_flow_id': 'triage_pr' });
    await expectNoSecrets(result);
  });

  it('makes no write call and one ARM request per asset when nothing changed', async () => {
    expect((await cli()).exitCode).toBe(0);
    emulator.calls.clear();
    const again = await cli();
    expect(again.exitCode, again.stderr).toBe(0);
    expect(assetsOf(again.outputs).every((asset) => !asset.changed)).toBe(true);
    expect(emulator.calls.writes()).toEqual([]);
    expect(
      emulator.calls.entries.map((call) => `${call.method} ${call.path.split('/').slice(-3).join('/')}`).sort(),
    ).toEqual([
      'GET data/emails/versions',
      'GET data/tickets/versions',
      'GET data/tickets_labels/versions',
      'GET models/triage_pr/versions',
    ]);
    await expectNoSecrets(again);
  });

  it('writes exactly one new data version when one dataset changed', async () => {
    expect((await cli()).exitCode).toBe(0);
    await touchContent(w, 'data/tickets.jsonl', '{"text": "Card declined"}');
    emulator.calls.clear();
    const again = await cli();
    expect(again.exitCode, again.stderr).toBe(0);
    expect(versionsOf(assetsOf(again.outputs))).toEqual([
      'data:tickets@2*',
      'data:emails@1',
      'data:tickets_labels@1',
      'model:triage_pr@1',
    ]);
    const puts = emulator.calls.writes().filter((call) => call.method === 'PUT');
    expect(puts.map((call) => call.path.split('/').slice(-4).join('/'))).toEqual(['data/tickets/versions/2']);
    expect(versionNames('data', 'emails')).toEqual(['1']);
  });

  it('stores the metrics with the model version, and only-if-better refuses a worse flow without a write', async () => {
    const good = await writeMetrics(w, 'good.json', metricsDocument({ accuracy: 0.8, latency_ms: 900 }));
    expect((await cli('--metrics', good, '--only-if-better')).exitCode).toBe(0);
    const stored = emulator.state.versions('models', 'triage_pr')[0]!.properties.properties as Record<string, string>;
    expect(JSON.parse(stored['llmops.metrics']!)).toMatchObject({
      schema: 'llmops/metrics@1',
      rows: [{ metrics: { accuracy: 0.8 } }, {}],
    });

    await touchContent(w, 'flows/classify/classify.py', '# worse');
    await touchContent(w, 'data/emails.jsonl', '{"body": "Hi", "label": "other"}');
    const worse = await writeMetrics(w, 'worse.json', metricsDocument({ accuracy: 0.5, latency_ms: 900 }));
    emulator.calls.clear();
    const refused = await cli('--metrics', worse, '--only-if-better');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('only-if-better: refusing to register a new version of model triage_pr');
    expect(emulator.calls.writes()).toEqual([]);
    expect(versionNames('models', 'triage_pr')).toEqual(['1']);
    expect(versionNames('data', 'emails')).toEqual(['1']);
  });

  it('makes one version of each asset when two registrations run at once', async () => {
    const [first, second] = await Promise.all([cli(), cli()]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(second.exitCode, second.stderr).toBe(0);
    for (const [kind, name] of [
      ['data', 'tickets'],
      ['data', 'emails'],
      ['data', 'tickets_labels'],
      ['models', 'triage_pr'],
    ] as const) {
      expect(versionNames(kind, name), `${kind}/${name}`).toEqual(['1']);
    }
    expect(assetsOf(first.outputs).map((asset) => asset.version)).toEqual(
      assetsOf(second.outputs).map((asset) => asset.version),
    );
  });

  it('never prints a SAS token of a SAS datastore', async () => {
    const sas = generateAccountSASQueryParameters(
      {
        expiresOn: new Date(Date.now() + 3_600_000),
        permissions: AccountSASPermissions.parse('rwlac'),
        resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
        services: AccountSASServices.parse('b').toString(),
      },
      new StorageSharedKeyCredential(azurite.accountName, ACCOUNT_KEY),
    ).toString();
    const id = emulator.state.id('datastores', 'workspaceblobstore');
    const datastore = emulator.state.get(id)!;
    (datastore.properties.credentials as { credentialsType: string }).credentialsType = 'Sas';
    emulator.state.setDatastoreSecrets(id, { secretsType: 'Sas', sasToken: sas });

    const result = await cli();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(versionNames('models', 'triage_pr')).toEqual(['1']);
    const signature = new URLSearchParams(sas).get('sig')!;
    await expectNoSecrets(result, { 'SAS token': sas, 'SAS signature': signature });
  });
});

describe('the GitHub action with OIDC', () => {
  it('exchanges the runner OIDC token for an Azure token and registers, masking every secret', async () => {
    const { scope } = emulator;
    const result = await runGitHubAction(
      'register-if-changed',
      {
        config: w.config,
        env: 'pr',
        registry: 'azureml',
        auth: 'github-oidc',
        'subscription-id': scope.subscriptionId,
        'resource-group': scope.resourceGroup,
        'workspace-name': scope.workspaceName,
        'output-dir': w.outputDir,
      },
      { env: { ...cloudEnv(), ...emulator.entra.githubOidcEnv() }, timeoutMs: 90_000 },
    );
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(versionsOf(assetsOf(result.outputs))).toContain('model:triage_pr@1*');
    // MSAL may ask the assertion callback more than once per token; every ask is for Entra's audience.
    expect(emulator.entra.githubOidcRequests.length).toBeGreaterThan(0);
    for (const request of emulator.entra.githubOidcRequests) {
      expect(request).toEqual({ audience: 'api://AzureADTokenExchange', status: 200 });
    }
    expect(emulator.entra.tokenRequests).toEqual([expect.objectContaining({ credential: 'assertion', status: 200 })]);
    // The runner was told to mask the datastore key before it was used.
    expect(result.stdout).toContain(`::add-mask::${ACCOUNT_KEY}`);
    expect(result.summary).toContain('4 new version(s), 0 unchanged, in Azure ML workspace mlw-llmops-test');
    await expectNoSecrets(result);
  });
});

describe('the Azure DevOps task with the service connection the agent hands over', () => {
  /** Only what the pipeline author writes: the connection and the workspace. No ids, no secrets. */
  function registerTask(azureSubscription: string, agentEnv: Record<string, string>): Promise<FaceResult & { taskResult?: string }> {
    const { scope } = emulator;
    return runAzurePipelinesTask(
      'register-if-changed',
      {
        config: w.config,
        env: 'pr',
        registry: 'azureml',
        // The agent resolves a connectedService input to the connection's id.
        'azure-subscription': azureSubscription,
        'resource-group': scope.resourceGroup,
        'workspace-name': scope.workspaceName,
        'output-dir': w.outputDir,
      },
      {
        env: {
          ...emulator.childEnv(),
          // The ARM endpoint comes from the connection's URL, so only blob storage is pointed here.
          LLMOPS_BLOB_ENDPOINT: `http://127.0.0.1:${azurite.port}/{account}`,
          ...agentEnv,
        },
        timeoutMs: 90_000,
      },
    );
  }

  /** The task given the stand-in's connection, as the agent hands it over. */
  function registerWithConnection(kind: 'workload-identity' | 'service-principal') {
    const { entra, url, scope } = emulator;
    return registerTask(entra.serviceConnectionId, entra.azureDevOpsServiceConnectionEnv(kind, url, scope.subscriptionId));
  }

  it('federates the connection through the job OIDC endpoint and registers, masking every secret', async () => {
    const result = await registerWithConnection('workload-identity');
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.taskResult).toBe('Succeeded');
    expect(versionsOf(assetsOf(result.outputs))).toContain('model:triage_pr@1*');
    expect(emulator.entra.azureDevOpsOidcRequests.length).toBeGreaterThan(0);
    for (const request of emulator.entra.azureDevOpsOidcRequests) {
      expect(request).toEqual({ apiVersion: '7.1', serviceConnectionId: emulator.entra.serviceConnectionId, status: 200 });
    }
    expect(emulator.entra.tokenRequests).toEqual([
      expect.objectContaining({ tenant: emulator.entra.tenantId, clientId: emulator.entra.clientId, credential: 'assertion', status: 200 }),
    ]);
    expect(result.stdout).toContain(`Azure sign-in: azure-pipelines (auto), using workload identity federation of service connection ${emulator.entra.serviceConnectionId}`);
    // The job token was handed to the masker before anything could print it.
    expect(result.stdout).toContain(`##vso[task.setsecret]${emulator.entra.systemAccessToken}`);
    await expectNoSecrets(result);
  });

  it("signs in with a service principal connection's secret and takes its subscription", async () => {
    const result = await registerWithConnection('service-principal');
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(emulator.entra.tokenRequests).toEqual([expect.objectContaining({ credential: 'secret', status: 200 })]);
    expect(emulator.entra.azureDevOpsOidcRequests).toEqual([]);
    expect(result.stdout).toContain(`##vso[task.setsecret]${emulator.entra.clientSecret}`);
    expect(versionNames('models', 'triage_pr')).toEqual(['1']);
    await expectNoSecrets(result);
  });

  it('names a connection the agent did not hand over, in one line, and writes nothing', async () => {
    const result = await registerTask('not-handed-over', { LLMOPS_ARM_ENDPOINT: emulator.url });
    expect(result.exitCode).toBe(1);
    expect(result.taskResult).toBe('Failed');
    expect(result.annotations.map((annotation) => annotation.message)).toEqual([
      "azure-subscription: the agent handed this task no service connection 'not-handed-over'; name an Azure Resource Manager service connection the pipeline may use",
    ]);
    expect(emulator.calls.entries).toEqual([]);
    expect(emulator.entra.tokenRequests).toEqual([]);
  });
});

describe('faults of the Azure service', () => {
  it('waits out a 429 with Retry-After and succeeds', async () => {
    emulator.faults.throttle({ retryAfterSeconds: 1, match: { method: 'GET', path: '/models/triage_pr/versions' } });
    const result = await cli();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(emulator.calls.entries.filter((call) => call.fault === 'throttle')).toHaveLength(1);
    expect(versionNames('models', 'triage_pr')).toEqual(['1']);
  });

  it('retries a 500 and a dropped connection on the version PUT, creating one version', async () => {
    emulator.faults.serverError({ match: { method: 'PUT', path: '/models/triage_pr/versions/' } });
    emulator.faults.dropConnection({ match: { method: 'PUT', path: '/data/tickets/versions/' } });
    const result = await cli();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(
      emulator.calls.entries
        .filter((call) => call.fault)
        .map((call) => call.fault)
        .sort(),
    ).toEqual(['drop-connection', 'server-error']);
    expect(versionNames('models', 'triage_pr')).toEqual(['1']);
    expect(versionNames('data', 'tickets')).toEqual(['1']);
  });

  it('ends a refused client secret in one line, not as an internal error', async () => {
    const result = await runCli(
      ['register-if-changed', '--config', w.config, '--env', 'pr', '--registry', 'azureml', '--auth', 'environment',
        '--subscription-id', emulator.scope.subscriptionId, '--resource-group', emulator.scope.resourceGroup,
        '--workspace-name', emulator.scope.workspaceName, '--output-dir', w.outputDir],
      { env: { ...cloudEnv(), ...emulator.entra.servicePrincipalEnv(), AZURE_CLIENT_SECRET: 'canary-wrong-secret' }, timeoutMs: 90_000 },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^error: .*: Azure sign-in failed: .*AADSTS7000215/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain('canary-wrong-secret');
  });

  it('ends a persistent 500 in one clear line, with no model version', async () => {
    emulator.faults.serverError({ times: 100, match: { method: 'PUT', path: '/models/triage_pr/versions/' } });
    const result = await cli();
    expect(result.exitCode).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe(
      'error: registering model triage_pr: 500 InternalServerError: Injected server error. (after retries)',
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(versionNames('models', 'triage_pr')).toEqual([]);
    await expectNoSecrets(result);
  });

  it('ends persistently dropped connections in one clear line, writing nothing', async () => {
    emulator.faults.dropConnection({ times: 100, match: { method: 'GET', path: '/versions' } });
    const result = await cli();
    expect(result.exitCode).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      /^error: looking up the latest version of (data|model) \w+: .*(socket hang up|ECONNRESET).* \(after retries\)$/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(emulator.calls.writes()).toEqual([]);
  });
});
