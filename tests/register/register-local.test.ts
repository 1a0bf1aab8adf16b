/**
 * register-if-changed with the local registry, through the bundled CLI, the bundled GitHub action
 * and the bundled Azure DevOps task, each a child process: versions appear exactly when content
 * changed, metrics travel with the flow version, only-if-better refuses without writing, and two
 * registrations at once make one version.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAzurePipelinesTask, runCli, runGitHubAction } from '../harness/runner-faces.js';
import {
  assetsOf,
  copyFixture,
  localArgs,
  localRecord,
  localVersions,
  metricsDocument,
  touchContent,
  versionsOf,
  writeMetrics,
  type Workspace,
} from './helpers.js';

let workspaces: Workspace[] = [];
async function workspace(): Promise<Workspace> {
  const created = await copyFixture();
  workspaces.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(workspaces.map((w) => w.dispose()));
  workspaces = [];
});

const FIRST_RUN = ['data:tickets@1*', 'data:emails@1*', 'data:tickets_labels@1*', 'model:triage_pr@1*'];

describe('register-if-changed, local registry, CLI', () => {
  it('registers every local dataset and the flow on the first run, and writes the manifest', async () => {
    const w = await workspace();
    const result = await runCli(localArgs(w));
    expect(result.exitCode, result.stderr).toBe(0);
    expect(versionsOf(assetsOf(result.outputs))).toEqual(FIRST_RUN);
    expect(result.stderr).toContain('dataset archive: azureml:triage-archive:3 is a registry reference already');

    const manifestPath = JSON.parse(result.stdout).manifest as string;
    expect(manifestPath).toBe(path.join(w.outputDir, 'registration.json'));
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    expect(manifest).toMatchObject({
      schema: 'llmops/registration@1',
      experiment: 'triage',
      env: 'pr',
      registry: { kind: 'local', path: w.registryPath },
      skipped: [{ name: 'archive', uri: 'azureml:triage-archive:3' }],
    });
    const flow = manifest.assets.find((asset: { role: string }) => asset.role === 'flow');
    expect(flow).toMatchObject({
      kind: 'model',
      name: 'triage_pr',
      version: '1',
      changed: true,
      source: 'flows/classify',
    });
    expect((await stat(path.join(flow.uri, 'flow.dag.yaml'))).isFile()).toBe(true);

    const record = await localRecord(w.registryPath, 'model', 'triage_pr', '1');
    expect(record.properties['azureml.promptflow.source_flow_id']).toBe('triage_pr');
    expect(record.tags).toMatchObject({ 'llmops.experiment': 'triage', 'llmops.env': 'pr', 'llmops.role': 'flow' });

    expect(result.summary).toContain('### llmops register-if-changed: `triage` (env `pr`)');
    expect(result.summary).toContain('4 new version(s), 0 unchanged');
    expect(result.summary).toMatch(
      /\| `triage_pr` \| model \(flow\) \| 1 \| 🆕 new version \| `sha256:[0-9a-f]{12}` \|/,
    );
  });

  it('makes no new version when nothing changed', async () => {
    const w = await workspace();
    expect((await runCli(localArgs(w))).exitCode).toBe(0);
    const again = await runCli(localArgs(w));
    expect(again.exitCode, again.stderr).toBe(0);
    expect(versionsOf(assetsOf(again.outputs))).toEqual([
      'data:tickets@1',
      'data:emails@1',
      'data:tickets_labels@1',
      'model:triage_pr@1',
    ]);
    expect(again.summary).toContain('0 new version(s), 4 unchanged');
    expect(await localVersions(w.registryPath, 'model', 'triage_pr')).toEqual(['1']);
  });

  it('registers exactly one new data version when one dataset changed', async () => {
    const w = await workspace();
    expect((await runCli(localArgs(w))).exitCode).toBe(0);
    await touchContent(w, 'data/emails.jsonl', '{"body": "Refund please", "label": "billing"}');
    const again = await runCli(localArgs(w));
    expect(again.exitCode, again.stderr).toBe(0);
    expect(versionsOf(assetsOf(again.outputs))).toEqual([
      'data:tickets@1',
      'data:emails@2*',
      'data:tickets_labels@1',
      'model:triage_pr@1',
    ]);
    expect(await localVersions(w.registryPath, 'data', 'emails')).toEqual(['1', '2']);
    expect(await localVersions(w.registryPath, 'data', 'tickets')).toEqual(['1']);
  });

  it('ignores __pycache__ and .promptflow changes in the flow', async () => {
    const w = await workspace();
    expect((await runCli(localArgs(w))).exitCode).toBe(0);
    await mkdir(w.file('flows/classify/__pycache__'), { recursive: true });
    await writeFile(
      w.file('flows/classify/__pycache__/classify.cpython-312.pyc'),
      Buffer.from([0x55, 0x0d, 0x0d, 0x0a]),
    );
    await mkdir(w.file('flows/classify/.promptflow'), { recursive: true });
    await writeFile(w.file('flows/classify/.promptflow/flow.tools.json'), '{"code": {}}');
    const again = await runCli(localArgs(w));
    expect(again.exitCode, again.stderr).toBe(0);
    expect(assetsOf(again.outputs).every((asset) => !asset.changed)).toBe(true);
  });

  it('registers the evaluation flows with include-evaluators, named {experiment}_{evaluator}_{env}', async () => {
    const w = await workspace();
    const result = await runCli(localArgs(w, '--include-evaluators'));
    expect(result.exitCode, result.stderr).toBe(0);
    expect(versionsOf(assetsOf(result.outputs))).toEqual([...FIRST_RUN, 'model:triage_accuracy_pr@1*']);
  });

  it('takes the model name from model-name, and the experiment name alone without an env', async () => {
    const w = await workspace();
    const named = await runCli(localArgs(w, '--model-name', 'ticket-triage'));
    expect(versionsOf(assetsOf(named.outputs))).toContain('model:ticket-triage@1*');
    const args = localArgs(w).filter((arg, i, all) => arg !== '--env' && all[i - 1] !== '--env');
    const noEnv = await runCli(args);
    expect(noEnv.exitCode, noEnv.stderr).toBe(0);
    expect(versionsOf(assetsOf(noEnv.outputs))).toContain('model:triage@1*');
  });
});

describe('metrics and only-if-better', () => {
  it('stores the metrics with the new flow version', async () => {
    const w = await workspace();
    const document = metricsDocument({ accuracy: 0.8, latency_ms: 900 });
    const metrics = await writeMetrics(w, 'metrics.json', document);
    const result = await runCli(localArgs(w, '--metrics', metrics));
    expect(result.exitCode, result.stderr).toBe(0);
    const record = await localRecord(w.registryPath, 'model', 'triage_pr', '1');
    expect(JSON.parse(record.properties['llmops.metrics']!)).toEqual(document);
    // Datasets carry no metrics: they measure the flow, not the data.
    expect((await localRecord(w.registryPath, 'data', 'tickets', '1')).properties['llmops.metrics']).toBeUndefined();
  });

  it('refuses a worse flow, registers nothing at all, and explains it in a table', async () => {
    const w = await workspace();
    const good = await writeMetrics(w, 'good.json', metricsDocument({ accuracy: 0.8, latency_ms: 900 }));
    expect((await runCli(localArgs(w, '--metrics', good, '--only-if-better'))).exitCode).toBe(0);
    const manifestBefore = await readFile(path.join(w.outputDir, 'registration.json'), 'utf8');

    await touchContent(w, 'flows/classify/classify.py', '# stricter matching');
    await touchContent(w, 'data/tickets.jsonl', '{"text": "Where is my parcel?"}');
    const worse = await writeMetrics(w, 'worse.json', metricsDocument({ accuracy: 0.6, latency_ms: 800 }));
    const refused = await runCli(localArgs(w, '--metrics', worse, '--only-if-better'));

    expect(refused.exitCode).toBe(1);
    const errorLines = refused.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toContain(
      'only-if-better: refusing to register a new version of model triage_pr, nothing was registered',
    );
    expect(errorLines[0]).toContain(
      "accuracy of 'accuracy >= 0.7' (accuracy on tickets, default) is worse: 0.6 vs 0.8 in triage_pr:1",
    );
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(refused.summary).toContain('not better than `triage_pr:1`');
    expect(refused.summary).toMatch(
      /\| ❌ worse \| `accuracy >= 0.7` \| accuracy \| tickets \| default \| 0.6 \| 0.8 \|/,
    );
    // Lower latency is better, and it did get better: shown, not held against the flow.
    expect(refused.summary).toMatch(
      /\| ✅ not worse \| `latency_ms <= 2000 for accuracy` \| accuracy \| tickets \| default \| 800 \| 900 \|/,
    );

    expect(await localVersions(w.registryPath, 'model', 'triage_pr')).toEqual(['1']);
    expect(await localVersions(w.registryPath, 'data', 'tickets')).toEqual(['1']);
    expect(await readFile(path.join(w.outputDir, 'registration.json'), 'utf8')).toBe(manifestBefore);
  });

  it('registers a flow whose gate metrics are no worse', async () => {
    const w = await workspace();
    const good = await writeMetrics(w, 'good.json', metricsDocument({ accuracy: 0.8, latency_ms: 900 }));
    expect((await runCli(localArgs(w, '--metrics', good, '--only-if-better'))).exitCode).toBe(0);
    await touchContent(w, 'flows/classify/classify.py', '# better prompt');
    const better = await writeMetrics(w, 'better.json', metricsDocument({ accuracy: 0.85, latency_ms: 900 }));
    const result = await runCli(localArgs(w, '--metrics', better, '--only-if-better'));
    expect(result.exitCode, result.stderr).toBe(0);
    expect(versionsOf(assetsOf(result.outputs))).toContain('model:triage_pr@2*');
    expect(
      JSON.parse((await localRecord(w.registryPath, 'model', 'triage_pr', '2')).properties['llmops.metrics']!),
    ).toMatchObject({
      rows: [{ metrics: { accuracy: 0.85 } }, { metrics: { accuracy: 0.85 } }],
    });
  });

  it('needs the metrics input, and metrics of this experiment', async () => {
    const w = await workspace();
    const without = await runCli(localArgs(w, '--only-if-better'));
    expect(without.exitCode).toBe(1);
    expect(without.stderr.trim()).toBe(
      "error: only-if-better needs the 'metrics' input (the evaluate stage's metrics JSON)",
    );

    const other = await writeMetrics(w, 'other.json', metricsDocument({ accuracy: 0.9, latency_ms: 1 }, 'another'));
    const mismatched = await runCli(localArgs(w, '--metrics', other));
    expect(mismatched.exitCode).toBe(1);
    expect(mismatched.stderr.trim()).toBe(`${other}: metrics of experiment 'another', but the experiment is 'triage'`);
    expect(await localVersions(w.registryPath, 'model', 'triage_pr')).toEqual([]);
  });
});

describe('faces and concurrency', () => {
  it('gives the same assets on GitHub, Azure Pipelines and the CLI', async () => {
    const [forGitHub, forAzure, forCli] = await Promise.all([workspace(), workspace(), workspace()]);
    const inputs = (w: Workspace) => ({
      config: w.config,
      env: 'pr',
      'registry-path': w.registryPath,
      'output-dir': w.outputDir,
    });
    const [github, azure, cli] = await Promise.all([
      runGitHubAction('register-if-changed', inputs(forGitHub)),
      runAzurePipelinesTask('register-if-changed', inputs(forAzure)),
      runCli(localArgs(forCli)),
    ]);
    expect(github.exitCode, github.stdout + github.stderr).toBe(0);
    expect(azure.exitCode, azure.stdout + azure.stderr).toBe(0);
    expect(azure.taskResult).toBe('Succeeded');
    // Same content, same hashes, wherever the copy lives.
    expect(assetsOf(github.outputs)).toEqual(assetsOf(cli.outputs));
    expect(assetsOf(azure.outputs)).toEqual(assetsOf(cli.outputs));
    expect(github.outputs.manifest).toBe(path.join(forGitHub.outputDir, 'registration.json'));
    expect(azure.outputs.manifest).toBe(path.join(forAzure.outputDir, 'registration.json'));
    expect(github.summary).toContain('4 new version(s), 0 unchanged');
    // The same table reaches each runner's summary page (the registry path line differs per copy).
    expect(azure.summary.trim().split('\n').slice(3)).toEqual(github.summary.trim().split('\n').slice(3));
  });

  it('makes one version of each asset when two registrations run at once', async () => {
    const w = await workspace();
    const [first, second] = await Promise.all([runCli(localArgs(w)), runCli(localArgs(w))]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(second.exitCode, second.stderr).toBe(0);
    for (const [kind, name] of [
      ['data', 'tickets'],
      ['data', 'emails'],
      ['data', 'tickets_labels'],
      ['model', 'triage_pr'],
    ] as const) {
      expect(await localVersions(w.registryPath, kind, name)).toEqual(['1']);
    }
    // Each asset was created by exactly one of the two.
    const created = [...assetsOf(first.outputs), ...assetsOf(second.outputs)].filter((asset) => asset.changed);
    expect(created.map((asset) => asset.name).sort()).toEqual(['emails', 'tickets', 'tickets_labels', 'triage_pr']);
    expect(JSON.parse(await readFile(path.join(w.outputDir, 'registration.json'), 'utf8')).assets).toHaveLength(4);
  });

  it("refuses registry 'azureml' without the workspace coordinates in one line", async () => {
    const w = await workspace();
    const result = await runCli(localArgs(w, '--registry', 'azureml'), { env: { AZURE_SUBSCRIPTION_ID: '' } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe(
      "error: registry 'azureml' needs the input(s) subscription-id, resource-group, workspace-name (the Azure ML workspace)",
    );
  });
});
