/**
 * ARM requests per asset of a no-op registration (nothing changed) against an Azure ML
 * workspace: the goal is at most 2.
 *
 *   npx tsx bench/registry.ts [--results bench/RESULTS-registry.md]
 *
 * What runs: the HTTPS ARM emulator (tests/harness/azure-emulator) and Azurite; the bundled CLI
 * (packages/cli/dist/llmops.js) as a child process, signing in with the real @azure/identity
 * client-secret credential against the emulator's Entra endpoint, on a copy of
 * tests/fixtures/register with --include-evaluators (3 data assets, 2 models, 1 remote dataset
 * that is skipped). First a registration that creates every version (for context), then the same
 * command again with nothing changed; requests are counted from the emulator's call log and
 * attributed to the asset whose path they name (datastore look-ups are shared). Sign-in requests
 * go to Entra, not ARM, and are listed apart. Request counts are deterministic: one round.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BlobServiceClient } from '@azure/storage-blob';
import { type CallRecord, startAzureEmulator } from '../tests/harness/azure-emulator/index.js';
import { startAzurite } from '../tests/harness/azurite.js';
import { repoRoot, runCli } from '../tests/harness/runner-faces.js';

const GOAL = 2;
const { values: options } = parseArgs({ options: { results: { type: 'string' } } });

const accountKey = randomBytes(64).toString('base64');
const azurite = await startAzurite({ accountKey });
const containerName = 'azureml-blobstore-bench';
const emulator = await startAzureEmulator({
  defaultDatastore: {
    accountName: azurite.accountName,
    containerName,
    secrets: { secretsType: 'AccountKey', key: accountKey },
  },
});
const work = await mkdtemp(path.join(os.tmpdir(), 'llmops-bench-registry-'));

try {
  await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(containerName).create();
  await cp(path.join(repoRoot, 'tests/fixtures/register'), path.join(work, 'experiment'), { recursive: true });
  const { scope } = emulator;
  const command = [
    'register-if-changed',
    '--config',
    path.join(work, 'experiment', 'experiment.yaml'),
    '--env',
    'pr',
    '--include-evaluators',
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
    path.join(work, 'out'),
    '--json',
  ];
  const env = {
    ...emulator.childEnv(),
    ...emulator.entra.servicePrincipalEnv(),
    LLMOPS_ARM_ENDPOINT: emulator.url,
    LLMOPS_BLOB_ENDPOINT: `http://127.0.0.1:${azurite.port}/{account}`,
  };

  const first = await measure(() => runCli(command, { env, timeoutMs: 120_000 }));
  const noop = await measure(() => runCli(command, { env, timeoutMs: 120_000 }));
  const assets = (JSON.parse(noop.stdout).assets as { kind: string; name: string; changed: boolean }[]).map(
    (asset) => ({ ...asset, key: `${asset.kind === 'model' ? 'models' : 'data'}/${asset.name}` }),
  );
  if (assets.some((asset) => asset.changed)) throw new Error('the second run registered something: not a no-op');

  const rows = assets.map((asset) => {
    const mine = (calls: CallRecord[]) => calls.filter((call) => attribute(call) === asset.key);
    const noopCalls = mine(noop.calls);
    return {
      asset: `${asset.kind} ${asset.name}`,
      first: mine(first.calls).length,
      noop: noopCalls.length,
      writes: noopCalls.filter((call) => call.method !== 'GET').length,
      requests: [
        ...new Set(noopCalls.map((call) => `${call.method} .../${call.path.split('/').slice(-3).join('/')}`)),
      ].join(', '),
    };
  });
  const shared = (calls: CallRecord[]) => calls.filter((call) => attribute(call) === 'shared').length;
  const worst = Math.max(...rows.map((row) => row.noop));
  const table = [
    '| asset | ARM requests, first run | ARM requests, no-op run | writes, no-op run | no-op requests |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.asset} | ${row.first} | ${row.noop} | ${row.writes} | \`${row.requests}\` |`),
    `| (shared: datastore look-up) | ${shared(first.calls)} | ${shared(noop.calls)} | 0 | |`,
    `| **total** | ${first.calls.length} | ${noop.calls.length} | ${noop.calls.filter((call) => call.method !== 'GET').length} | |`,
  ].join('\n');

  const report = `# Registry: ARM requests of a no-op registration

Command: \`npx tsx bench/registry.ts --results bench/RESULTS-registry.md\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.platform()}).

The bundled CLI registers the fixture experiment (tests/fixtures/register, \`--include-evaluators\`:
${assets.length} assets) into the HTTPS ARM emulator + Azurite, signing in with the real client-secret
credential, then runs the same command again with nothing changed. Requests are counted from the
emulator's call log.

${table}

- No-op: **${worst} ARM request(s) per asset** at most (goal <= ${GOAL}): ${worst <= GOAL ? 'met' : 'NOT met'}; ${noop.calls.filter((call) => call.method !== 'GET').length} write calls.
  The one request is \`GET .../versions?$orderBy=createdtime desc&$top=1\`; the stage compares its
  \`llmops.content_hash\` property with the local hash and stops there.
- Sign-in is one Entra token request per run (first run ${first.signIns}, no-op run ${noop.signIns}), not counted as ARM.
- A changed asset costs 3 ARM requests (two \`latest\` look-ups, one from the stage's read-before-write
  pass and one inside Registry.register's race check, plus the version PUT), and once per run the
  datastore look-up (list default + listSecrets for a key-based datastore).
- Wall time, bundled CLI child process (Node start-up and sign-in included): first run ${first.ms} ms, no-op run ${noop.ms} ms.
`;
  console.log(report);
  if (options.results) {
    await writeFile(path.resolve(options.results), report);
    console.log(`written to ${options.results}`);
  }
  if (worst > GOAL) process.exitCode = 1;

  async function measure(run: () => Promise<{ exitCode: number; stdout: string; stderr: string }>) {
    emulator.calls.clear();
    const signInsBefore = emulator.entra.tokenRequests.length;
    const started = performance.now();
    const result = await run();
    const ms = Math.round(performance.now() - started);
    if (result.exitCode !== 0) throw new Error(`register-if-changed failed (${result.exitCode}):\n${result.stderr}`);
    return {
      ...result,
      ms,
      calls: [...emulator.calls.entries],
      signIns: emulator.entra.tokenRequests.length - signInsBefore,
    };
  }
} finally {
  await emulator.stop();
  await azurite.stop();
  await rm(work, { recursive: true, force: true });
}

/** `models/<name>` or `data/<name>` for asset requests, `shared` for workspace-level ones. */
function attribute(call: CallRecord): string {
  const match = /\/workspaces\/[^/]+\/(models|data)\/([^/]+)/i.exec(call.path);
  return match ? `${match[1]!.toLowerCase()}/${match[2]}` : 'shared';
}
