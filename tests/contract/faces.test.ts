/**
 * One stage, three faces: the bundled GitHub action, the bundled Azure DevOps task and the CLI
 * bundle, each run as a child process with the environment its runner really sets, must agree.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runAzurePipelinesTask, runCli, runGitHubAction } from '../harness/runner-faces.js';

const fixture = path.join(repoRoot, 'tests/fixtures/contract');
const config = path.join(fixture, 'experiment.yaml');

describe('experiment --dry-run through every face', () => {
  it('gives the same outputs on GitHub, Azure Pipelines and the CLI', async () => {
    const inputs = { config, env: 'pr', variants: 'all', 'dry-run': 'true' };
    const [github, azure, cli] = await Promise.all([
      runGitHubAction('experiment', inputs),
      runAzurePipelinesTask('experiment', inputs),
      runCli(['experiment', '--config', config, '--env', 'pr', '--variants', 'all', '--dry-run', '--json']),
    ]);
    expect(github.exitCode, github.stdout + github.stderr).toBe(0);
    expect(azure.exitCode, azure.stdout + azure.stderr).toBe(0);
    expect(cli.exitCode, cli.stderr).toBe(0);
    expect(azure.taskResult).toBe('Succeeded');

    const runs = JSON.parse(github.outputs.runs!) as { dataset: string; variants: Record<string, string> }[];
    // 'all' on two nodes with two variants each: defaults + one off-default per node.
    expect(runs.map((run) => run.variants)).toEqual([
      { normalize: 'variant_0', classify: 'variant_0' },
      { normalize: 'variant_1', classify: 'variant_0' },
      { normalize: 'variant_0', classify: 'variant_1' },
    ]);
    expect(runs.every((run) => run.dataset === 'tickets')).toBe(true);
    expect(JSON.parse(github.outputs.evaluations!)).toHaveLength(3);

    const parsed = (outputs: Record<string, string>) => ({
      runs: JSON.parse(outputs.runs!),
      evaluations: JSON.parse(outputs.evaluations!),
    });
    expect(parsed(azure.outputs)).toEqual(parsed(github.outputs));
    expect(parsed(cli.outputs)).toEqual(parsed(github.outputs));

    // The same step summary reaches each runner's summary page.
    expect(github.summary).toContain('### llmops experiment: plan for `contract` (env `pr`)');
    expect(github.summary).toContain('normalize=variant_1, classify=variant_0');
    expect(azure.summary.trim()).toBe(github.summary.trim());
    expect(cli.summary.trim()).toBe(github.summary.trim());
  });
});

describe('a config error through every face', () => {
  const bad = path.join(fixture, 'experiment.bad.yaml');

  it('is one located error line, exit code 1, no stack trace', async () => {
    const inputs = { config: bad, 'dry-run': 'true' };
    const [github, azure, cli] = await Promise.all([
      runGitHubAction('experiment', inputs),
      runAzurePipelinesTask('experiment', inputs),
      runCli(['experiment', '--config', bad, '--dry-run']),
    ]);
    for (const face of [github, azure, cli]) {
      expect(face.exitCode).toBe(1);
      const errors = face.annotations.filter((annotation) => annotation.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ line: 8, column: 11 });
      expect(errors[0]!.file!.endsWith('experiment.bad.yaml')).toBe(true);
      expect(errors[0]!.message).toMatch(/^datasets\[0\]\.mappings\.text: '\$\{dat\.text\}' is not a binding/);
      expect(face.stdout + face.stderr).not.toMatch(/\n\s+at /);
    }
    expect(azure.taskResult).toBe('Failed');
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects a malformed input value before doing anything', async () => {
    const inputs = { config, 'dry-run': 'true', 'max-parallel-runs': 'many' };
    const [github, azure, cli] = await Promise.all([
      runGitHubAction('experiment', inputs),
      runAzurePipelinesTask('experiment', inputs),
      runCli(['experiment', '--config', config, '--dry-run', '--max-parallel-runs', 'many']),
    ]);
    for (const face of [github, azure, cli]) {
      expect(face.exitCode).toBe(1);
      expect(face.stdout + face.stderr).toContain("input 'max-parallel-runs': 'many' is not an integer");
    }
  });
});

describe('a stage that is not built yet', () => {
  it('refuses on every face instead of pretending to succeed', async () => {
    const [github, azure, cli] = await Promise.all([
      runGitHubAction('deploy', { target: 'kubernetes' }),
      runAzurePipelinesTask('deploy', { target: 'kubernetes' }),
      runCli(['deploy', '--target', 'kubernetes']),
    ]);
    for (const face of [github, azure, cli]) {
      expect(face.exitCode).toBe(1);
      expect(face.stdout + face.stderr).toContain('llmops deploy to kubernetes is not available yet');
    }
    expect(azure.taskResult).toBe('Failed');
  });
});

describe('secret inputs', () => {
  const canary = 'canary-Secret-7f3a9c';

  it('are registered for masking and never printed otherwise', async () => {
    const [github, azure, cli] = await Promise.all([
      runGitHubAction('smoke-test', { 'endpoint-url': 'https://127.0.0.1:1/score', 'endpoint-key': canary }),
      runAzurePipelinesTask('smoke-test', { 'endpoint-url': 'https://127.0.0.1:1/score', 'endpoint-key': canary }),
      runCli(['smoke-test', '--endpoint-url', 'https://127.0.0.1:1/score'], { env: { LLMOPS_ENDPOINT_KEY: canary } }),
    ]);
    // The runners learn the secret from exactly one protocol line each, then mask it.
    expect(github.stdout.split('\n').filter((line) => line.includes(canary))).toEqual([`::add-mask::${canary}`]);
    expect(azure.stdout.split('\n').filter((line) => line.includes(canary))).toEqual([`##vso[task.setsecret]${canary}`]);
    expect(cli.stdout + cli.stderr).not.toContain(canary);
    for (const face of [github, azure]) expect(face.stderr).not.toContain(canary);
  });
});
