/**
 * experiment + evaluate end to end, with the real promptflow, through the bundled entries each
 * runner starts: the CLI, the GitHub action and the Azure DevOps task.
 */
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GitHubApiServer } from '../harness/github-api-server.js';
import { startOpenAiServer, type OpenAiTestServer } from '../harness/openai-server.js';
import { repoRoot, runAzurePipelinesTask, runCli, runGitHubAction } from '../harness/runner-faces.js';
import { describeWithPromptflow, tempDir } from '../promptflow/support.js';

const slow = { timeoutMs: 600_000 };
const offline = path.join(repoRoot, 'examples/offline-classification/experiment.yaml');

interface RunsManifestJson {
  runs: { id: string; name: string; variants: Record<string, string>; status: string; lines: { total: number; completed: number; failed: number } }[];
}
interface MetricsJson {
  rows: { evaluator: string; dataset: string; variants: Record<string, string>; metrics: Record<string, number> }[];
}

const readJson = async <T>(file: string) => JSON.parse(await fs.readFile(file, 'utf8')) as T;

describeWithPromptflow('experiment + evaluate on the offline example (CLI)', () => {
  let out: string;
  let runsFile: string;

  beforeAll(async () => {
    out = await tempDir('stages-cli');
    const experiment = await runCli(
      ['experiment', '--config', offline, '--env', 'pr', '--variants', 'all-combinations', '--output-dir', out, '--json'],
      slow,
    );
    expect(experiment.exitCode, experiment.stderr).toBe(0);
    runsFile = (JSON.parse(experiment.stdout) as { runs: string }).runs;
  }, 600_000);

  it('runs every variant combination once, all lines completed', async () => {
    const manifest = await readJson<RunsManifestJson>(runsFile);
    expect(manifest.runs.map((run) => run.variants)).toEqual([
      { normalize: 'variant_0', classify: 'variant_0' },
      { normalize: 'variant_0', classify: 'variant_1' },
      { normalize: 'variant_1', classify: 'variant_0' },
      { normalize: 'variant_1', classify: 'variant_1' },
    ]);
    for (const run of manifest.runs) {
      expect(run.status).toBe('Completed');
      expect(run.lines).toEqual({ total: 8, completed: 8, failed: 0 });
    }
  });

  it('evaluates every run, writes metrics, reports and passes its gates', async () => {
    const evaluate = await runCli(
      ['evaluate', '--config', offline, '--env', 'pr', '--runs', runsFile, '--output-dir', out, '--gates', 'accuracy >= 0.5', '--json'],
      slow,
    );
    expect(evaluate.exitCode, evaluate.stderr).toBe(0);
    const outputs = JSON.parse(evaluate.stdout) as { metrics: string; report: string };
    const metrics = await readJson<MetricsJson>(outputs.metrics);
    const accuracy = Object.fromEntries(
      metrics.rows.map((row) => [`${row.variants.normalize}/${row.variants.classify}`, row.metrics.accuracy]),
    );
    expect(accuracy).toEqual({
      'variant_0/variant_0': 0.625,
      'variant_0/variant_1': 0.875,
      'variant_1/variant_0': 0.625,
      'variant_1/variant_1': 1,
    });

    const html = await fs.readFile(outputs.report, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('normalize=variant_1');
    expect(html).not.toMatch(/<(script|link|img)\b/i);
    const csvs = (await fs.readdir(path.join(out, 'reports'))).sort();
    expect(csvs).toEqual(['accuracy__tickets_pr.csv', 'metrics.csv']);
    expect(evaluate.summary).toContain('accuracy >= 0.5');
  });

  it('fails on a gate that does not hold, with a table of what failed', async () => {
    const evaluate = await runCli(
      ['evaluate', '--config', offline, '--env', 'pr', '--runs', runsFile, '--output-dir', path.join(out, 'strict'), '--gates', 'accuracy >= 0.8 on tickets_pr'],
      slow,
    );
    expect(evaluate.exitCode).toBe(1);
    expect(evaluate.stderr).toMatch(/gate/i);
    expect(evaluate.summary).toMatch(/accuracy >= 0\.8 on tickets_pr/);
    expect(evaluate.summary).toContain('0.625');
  });

  it('compares with a baseline: deltas in the summary, baseline gates', async () => {
    const baseline = path.join(out, 'metrics.json');
    const evaluate = await runCli(
      ['evaluate', '--config', offline, '--env', 'pr', '--runs', runsFile, '--output-dir', path.join(out, 'again'), '--baseline', baseline, '--gates', 'accuracy >= baseline - 0.02'],
      slow,
    );
    expect(evaluate.exitCode, evaluate.stderr).toBe(0);
    expect(evaluate.summary).toContain('| 0.625 (±0) |');
    expect(evaluate.summary).toContain('(baseline 0.875 - 0.02; change ±0)');
  });
});

describeWithPromptflow('failed lines and cancellation (CLI)', () => {
  const partial = path.join(repoRoot, 'tests/fixtures/stages/partial/experiment.yaml');

  it('fails a run that promptflow calls Completed when lines failed, naming run, counts and first error', async () => {
    const out = await tempDir('stages-partial');
    const result = await runCli(['experiment', '--config', partial, '--output-dir', out], slow);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/run partial__words: 2 of 5 lines failed \(40%, at most 0% allowed\); first error: line 1: .*boom/);
    // The pointer to promptflow's own log of the run names a file that exists and tells the story.
    const log = /; promptflow log: (\S+logs\.txt)$/m.exec(result.stderr)?.[1];
    expect(log, result.stderr).toBeDefined();
    expect(await fs.readFile(log!, 'utf8')).toContain('boom');
    const manifest = await readJson<RunsManifestJson>(path.join(out, 'runs.json'));
    expect(manifest.runs[0]).toMatchObject({ status: 'Completed', lines: { total: 5, completed: 3, failed: 2 } });
  });

  it('lets the same run pass when the failed-line ratio is allowed', async () => {
    const out = await tempDir('stages-partial-ok');
    const result = await runCli(['experiment', '--config', partial, '--output-dir', out, '--max-failed-line-ratio', '0.4'], slow);
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('stops child runs on SIGTERM and leaves no promptflow process behind', async () => {
    const out = await tempDir('stages-cancel');
    const config = path.join(repoRoot, 'tests/fixtures/stages/slow/experiment.yaml');
    const child = spawn(process.execPath, [path.join(repoRoot, 'packages/cli/dist/llmops.js'), 'experiment', '--config', config, '--output-dir', out], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    // Wait until promptflow has started the run's process (its run folder appears).
    const started = Date.now();
    while (!(await hasRunFolder(out)) && Date.now() - started < 120_000) await new Promise((r) => setTimeout(r, 250));
    const cancelledAt = Date.now();
    child.kill('SIGTERM');
    const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    expect(exitCode, stderr).not.toBe(0);
    expect(Date.now() - cancelledAt).toBeLessThan(30_000);
    await new Promise((r) => setTimeout(r, 500));
    const leftovers = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(out));
    expect(leftovers).toEqual([]);
  }, 200_000);
});

async function hasRunFolder(out: string): Promise<boolean> {
  const homes = (await fs.readdir(out).catch(() => [])).filter((name) => name.startsWith('pf-home-'));
  for (const home of homes) {
    const runs = await fs.readdir(path.join(out, home, '.runs')).catch(() => []);
    if (runs.length > 0) return true;
  }
  return false;
}

describeWithPromptflow('through the GitHub action, with a pull request comment', () => {
  const token = 'ghs_canaryToken0123456789';
  let github: GitHubApiServer;
  let workspace: string;
  let eventPath: string;

  beforeAll(async () => {
    github = await new GitHubApiServer({ token, repository: 'acme/flows', pullNumbers: [7] }).start();
    workspace = await tempDir('stages-gh');
    eventPath = path.join(workspace, 'event.json');
    await fs.writeFile(eventPath, JSON.stringify({ pull_request: { number: 7 }, repository: { full_name: 'acme/flows' } }));
  });
  afterAll(async () => github?.stop());

  it('creates one comment, then updates it in place on the next push', async () => {
    const env = {
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: 'acme/flows',
      GITHUB_API_URL: github.url,
    };
    const out = path.join(workspace, '.llmops');
    const experiment = await runGitHubAction('experiment', { config: offline, env: 'pr', 'output-dir': out }, { ...slow, env });
    expect(experiment.exitCode, experiment.stdout).toBe(0);
    const evaluateInputs = { config: offline, env: 'pr', runs: experiment.outputs.runs!, 'output-dir': out, 'github-token': token };
    const first = await runGitHubAction('evaluate', evaluateInputs, { ...slow, env });
    expect(first.exitCode, first.stdout).toBe(0);
    expect(github.comments).toHaveLength(1);
    const id = github.comments[0]!.id;
    expect(github.comments[0]!.body).toContain('<!-- llmops:evaluate -->');
    expect(github.comments[0]!.body).toContain('0.625');

    const second = await runGitHubAction('evaluate', evaluateInputs, { ...slow, env });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(github.comments.map((comment) => comment.id)).toEqual([id]);
    expect(github.requests.filter((request) => request.method === 'PATCH')).toHaveLength(1);
    // The token reaches the runner once, to be masked, and nowhere else.
    for (const face of [first, second]) {
      expect(face.stdout.split('\n').filter((line) => line.includes(token))).toEqual([`::add-mask::${token}`]);
      expect(face.summary).not.toContain(token);
    }
    expect(await fs.readFile(path.join(out, 'report.html'), 'utf8')).not.toContain(token);
  });
});

describeWithPromptflow('through the Azure DevOps task, flex flows', () => {
  it('runs the flex function flow and its evaluator', async () => {
    const config = path.join(repoRoot, 'examples/flex-flows/function-flow/experiment.yaml');
    const out = await tempDir('stages-ado');
    const experiment = await runAzurePipelinesTask('experiment', { config, 'output-dir': out }, slow);
    expect(experiment.exitCode, experiment.stdout).toBe(0);
    expect(experiment.taskResult).toBe('Succeeded');
    const evaluate = await runAzurePipelinesTask('evaluate', { config, runs: experiment.outputs.runs!, 'output-dir': out }, slow);
    expect(evaluate.exitCode, evaluate.stdout).toBe(0);
    const metrics = await readJson<MetricsJson>(evaluate.outputs.metrics!);
    expect(metrics.rows.length).toBeGreaterThan(0);
    expect(Object.keys(metrics.rows[0]!.metrics).length).toBeGreaterThan(0);
  });
});

describeWithPromptflow('through the GitHub action, the flex class flow with init', () => {
  it('takes the init secret from the environment, evaluates, and never prints the secret', async () => {
    const config = path.join(repoRoot, 'examples/flex-flows/class-flow/experiment.yaml');
    const out = await tempDir('stages-class');
    const secret = 'search-key-canary-41c9';
    const env = { SEARCH_CONFIG_API_KEY: secret };
    const experiment = await runGitHubAction('experiment', { config, 'output-dir': out }, { ...slow, env });
    expect(experiment.exitCode, experiment.stdout).toBe(0);
    const evaluate = await runGitHubAction(
      'evaluate',
      { config, runs: experiment.outputs.runs!, 'output-dir': out, gates: 'match_rate >= 0.75' },
      { ...slow, env },
    );
    expect(evaluate.exitCode, evaluate.stdout).toBe(0);
    const metrics = await readJson<MetricsJson>(evaluate.outputs.metrics!);
    expect(metrics.rows.map((row) => row.metrics)).toEqual([{ f1: 0.718, match_rate: 0.75 }]);
    for (const face of [experiment, evaluate]) expect(face.stdout + face.stderr + face.summary).not.toContain(secret);
  });
});

describeWithPromptflow('the LLM example against a loopback OpenAI-compatible server', () => {
  let server: OpenAiTestServer;
  beforeAll(async () => {
    server = await startOpenAiServer();
  });
  afterAll(async () => server?.close());

  it('sends each variant its own prompt', async () => {
    const config = path.join(repoRoot, 'examples/llm-classification/experiment.yaml');
    const out = await tempDir('stages-llm');
    const result = await runCli(['experiment', '--config', config, '--env', 'test', '--variants', 'all', '--output-dir', out], {
      ...slow,
      env: { AOAI_API_KEY: 'sk-loopback-canary', AOAI_BASE_URL: server.baseUrl },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('sk-loopback-canary');
    const manifest = await readJson<RunsManifestJson>(path.join(out, 'runs.json'));
    const prompts = new Set(server.requests.map((request) => JSON.stringify(request.body.messages)));
    // More distinct prompts than lines: the variants asked differently.
    const lines = manifest.runs[0]!.lines.total;
    expect(prompts.size).toBeGreaterThan(lines);
    expect(manifest.runs.length).toBeGreaterThan(1);

    const evaluate = await runCli(
      ['evaluate', '--config', config, '--env', 'test', '--runs', path.join(out, 'runs.json'), '--output-dir', out, '--json'],
      { ...slow, env: { AOAI_API_KEY: 'sk-loopback-canary', AOAI_BASE_URL: server.baseUrl } },
    );
    expect(evaluate.exitCode, evaluate.stderr).toBe(0);
    const metrics = await readJson<MetricsJson>((JSON.parse(evaluate.stdout) as { metrics: string }).metrics);
    // The loopback server labels by keyword, as the dataset's ground truth does.
    expect(metrics.rows.map((row) => row.metrics.accuracy)).toEqual(manifest.runs.map(() => 1));
  });
});
