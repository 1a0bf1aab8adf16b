/**
 * llmops experiment against the template's way (bare `pf run create`, one run after another),
 * with the real promptflow from the project's .venv and an LLM node that calls a loopback
 * OpenAI-compatible server answering after a fixed delay. One invocation, two measurements:
 *
 *   npx tsx bench/experiment.ts [--variants 4] [--lines 8] [--delay-ms 500] [--line-concurrency 4]
 *       [--max-parallel-runs <V>] [--rounds 2] [--repeats 3] [--results bench/RESULTS-experiment.md] [--keep]
 *
 * (1) Parallel variants: a flow whose one LLM node has V variants, N lines. `llmops experiment
 *     --variants all --max-parallel-runs M` against `pf connection create` + V x `pf run create
 *     --variant ${chat.variant_k}` one after another. Goal: speed-up >= 0.7 x min(V, M).
 * (2) Overhead of one run: `llmops experiment --variants defaults` against bare `pf run create`
 *     of the same run (and against `pf connection create` + `pf run create`, the same work from a
 *     fresh home). Repeated, interleaved (order alternating), medians. Goal: <= 10% or <= 1 s.
 *
 * Fairness: both sides use PF_WORKER_COUNT = --line-concurrency, the same Python, and the same
 * isolated promptflow home llmops makes (createPromptflowHome from packages/core: pf.yaml with
 * telemetry and trace off, version check pre-answered, file keyring, Azure Monitor off), a fresh
 * one per side and round. The llmops side is the bundled CLI, copied to the temp dir first so a
 * concurrent rebuild cannot change it mid-bench. Children are process-group leaders; groups are
 * killed when the leader exits. Everything lives in one temp dir, removed at the end (--keep
 * keeps it); the only network peer is the loopback server on 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createPromptflowHome } from '../packages/core/src/promptflow/home.js';
import { startOpenAiServer, type OpenAiTestServer } from '../tests/harness/openai-server.js';
import { writeBenchFixture, NODE, type BenchFixture } from './experiment-fixture.js';
import { batchTimeline, lineAt, printedRun, runTimed, seconds, type TimedResult } from './experiment-measure.js';
import { renderReport, type Facts, type OverheadSample, type ParallelSample } from './experiment-report.js';

const repoRoot = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    variants: { type: 'string', default: '4' },
    lines: { type: 'string', default: '8' },
    'delay-ms': { type: 'string', default: '500' },
    'line-concurrency': { type: 'string', default: '4' },
    'max-parallel-runs': { type: 'string' },
    rounds: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '3' },
    results: { type: 'string', default: path.join('bench', 'RESULTS-experiment.md') },
    keep: { type: 'boolean', default: false },
  },
});
const V = positive('variants');
const N = positive('lines');
const DELAY_MS = positive('delay-ms');
const C = positive('line-concurrency');
const M = args['max-parallel-runs'] ? positive('max-parallel-runs') : V;
const ROUNDS = positive('rounds');
const REPEATS = positive('repeats');
const CHILD_TIMEOUT_MS = 10 * 60_000;

function positive(name: keyof typeof args): number {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const python = path.join(repoRoot, '.venv', 'bin', 'python');
const pf = path.join(repoRoot, '.venv', 'bin', 'pf');
if (!existsSync(python) || !existsSync(pf)) {
  console.error(`${python} or ${pf} is missing: run \`npm run setup:python\` first`);
  process.exit(2);
}

const abort = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping children and cleaning up`);
    abort.abort(new Error(signal));
  });
}

const progress = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

const tmp = await mkdtemp(path.join(os.tmpdir(), 'llmops-bench-experiment-'));
let server: OpenAiTestServer | undefined;
let exitCode = 0;
try {
  const facts = machineFacts();
  server = await startOpenAiServer({ delayMs: DELAY_MS });
  const fixture = await writeBenchFixture(path.join(tmp, 'fixture'), V, N, server.baseUrl);
  const cliDir = path.join(tmp, 'cli');
  await cp(path.join(repoRoot, 'packages', 'cli', 'dist'), cliDir, { recursive: true });
  const cli = path.join(cliDir, 'llmops.js');
  facts.cliBundle = sha256(path.join(repoRoot, 'packages', 'cli', 'dist', 'llmops.js'));

  progress(
    `V=${V} variants x N=${N} lines, LLM delay ${DELAY_MS} ms, line concurrency ${C}, max-parallel-runs ${M}; temp dir ${tmp}`,
  );
  // Warm the page cache for promptflow's modules so neither side pays the first cold import.
  await runTimed(python, ['-c', 'import promptflow._cli.pf'], {
    env: process.env,
    timeoutMs: CHILD_TIMEOUT_MS,
    signal: abort.signal,
  });

  const ctx = { tmp, fixture, cli, server, facts };
  const parallel: ParallelSample[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which side goes first, so a drift in machine load hits both alike.
    const bareFirst = round % 2 === 0;
    let bare: ParallelSample['bare'] | undefined;
    let llmops: ParallelSample['llmops'] | undefined;
    for (const side of bareFirst ? ['bare', 'llmops'] : ['llmops', 'bare']) {
      if (side === 'bare') bare = await bareSequential(ctx, `p${round}`);
      else llmops = await llmopsParallel(ctx, `p${round}`);
    }
    parallel.push({ bare: bare!, llmops: llmops! });
    progress(`(1) round ${round + 1}: bare ${seconds(bare!.totalMs)} s, llmops ${seconds(llmops!.totalMs)} s`);
  }

  const overhead: OverheadSample[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const bareFirst = repeat % 2 === 0;
    let bare: OverheadSample['bare'] | undefined;
    let llmops: OverheadSample['llmops'] | undefined;
    for (const side of bareFirst ? ['bare', 'llmops'] : ['llmops', 'bare']) {
      if (side === 'bare') bare = await bareSingle(ctx, `o${repeat}`);
      else llmops = await llmopsSingle(ctx, `o${repeat}`);
    }
    overhead.push({ bare: bare!, llmops: llmops! });
    progress(
      `(2) repeat ${repeat + 1}: bare run ${seconds(bare!.runMs)} s (+ connection ${seconds(bare!.connectionMs)} s), llmops ${seconds(llmops!.totalMs)} s`,
    );
  }

  facts.loadAfter = os.loadavg()[0]!;
  const command = `npx tsx bench/experiment.ts ${process.argv.slice(2).join(' ')}`.trim();
  const report = renderReport({
    command,
    facts,
    params: { V, N, delayMs: DELAY_MS, lineConcurrency: C, maxParallelRuns: M, rounds: ROUNDS, repeats: REPEATS },
    parallel,
    overhead,
  });
  console.log(report.tables);
  if (args.results) {
    await writeFile(path.resolve(repoRoot, args.results), report.markdown);
    progress(`wrote ${args.results}`);
  }
} catch (error) {
  exitCode = 1;
  console.error(abort.signal.aborted ? `aborted: ${String(abort.signal.reason)}` : error);
} finally {
  await server?.close();
  const leftovers = processesMentioning(tmp);
  if (leftovers.length > 0) {
    console.error(`leftover processes of this bench (killed): ${leftovers.join(', ')}`);
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    exitCode = exitCode || 1;
  }
  if (args.keep) progress(`kept ${tmp}`);
  else await rm(tmp, { recursive: true, force: true });
}
process.exit(exitCode);

// ---------------------------------------------------------------------------------------------

interface Ctx {
  tmp: string;
  fixture: BenchFixture;
  cli: string;
  server: OpenAiTestServer;
  facts: Facts;
}

async function timed(command: string, argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<TimedResult> {
  const result = await runTimed(command, argv, { env, cwd, timeoutMs: CHILD_TIMEOUT_MS, signal: abort.signal });
  if (abort.signal.aborted) throw abort.signal.reason;
  if (result.timedOut) throw new Error(`${path.basename(command)} ${argv.slice(0, 3).join(' ')} timed out`);
  return result;
}

function failure(what: string, result: TimedResult): Error {
  const tail = (result.stderr + result.stdout).trim().split('\n').slice(-15).join('\n');
  return new Error(`${what} failed (exit ${result.exitCode}):\n${tail}`);
}

/** A fresh isolated home, exactly as llmops makes one, and the env of a pf process using it. */
async function bareHome(ctx: Ctx, tag: string) {
  const home = await createPromptflowHome(path.join(ctx.tmp, `${tag}-bare`), ctx.facts.promptflow);
  const env: NodeJS.ProcessEnv = { ...process.env, ...home.env, PF_WORKER_COUNT: String(C) };
  return { home, env };
}

/** `pf run create` the template's way; checks the run completed every line. */
async function barePfRun(ctx: Ctx, env: NodeJS.ProcessEnv, name: string, variant?: string) {
  const argv = ['run', 'create', '--flow', ctx.fixture.flowDir, '--data', ctx.fixture.data];
  if (variant) argv.push('--variant', `\${${NODE}.${variant}}`);
  argv.push('--column-mapping', ...ctx.fixture.columnMapping, '--name', name);
  const result = await timed(pf, argv, env, ctx.tmp);
  const printed = printedRun(result.stdout);
  if (result.exitCode !== 0 || printed?.status !== 'Completed') throw failure(`pf run create ${name}`, result);
  const outputs = path.join(printed.properties.output_path, 'flow_outputs', 'output.jsonl');
  const completed = (await readFile(outputs, 'utf8')).split('\n').filter((line) => line.trim()).length;
  if (completed !== N) throw new Error(`pf run ${name}: ${completed} of ${N} lines completed`);
  const submitAt = lineAt(result, new RegExp(`Submitting run ${name},`)) ?? Number.NaN;
  const batchMs = Number(printed.properties.system_metrics?.duration) * 1000;
  const timeline = await batchTimeline(path.join(printed.properties.output_path, 'logs.txt'));
  return { ms: result.ms, submitAt, batchMs, cpuSeconds: result.cpuSeconds, ...timeline };
}

async function bareConnection(ctx: Ctx, env: NodeJS.ProcessEnv) {
  const result = await timed(pf, ['connection', 'create', '-f', ctx.fixture.connectionYaml], env, ctx.tmp);
  if (result.exitCode !== 0) throw failure('pf connection create', result);
  return result;
}

/** Requests the server got per variant since the last reset (variant k's prompt names k). */
function requestsPerVariant(server: OpenAiTestServer): number[] {
  const counts = Array.from({ length: V }, () => 0);
  for (const request of server.requests) {
    const k = /bench prompt (\d+)\./.exec(request.promptText)?.[1];
    if (k !== undefined) counts[Number(k)]!++;
  }
  return counts;
}

function checkRequests(server: OpenAiTestServer, expected: number[], side: string): void {
  const got = requestsPerVariant(server);
  if (got.join() !== expected.join())
    throw new Error(`${side}: LLM requests per variant ${got.join('/')}, expected ${expected.join('/')}`);
}

async function bareSequential(ctx: Ctx, tag: string): Promise<ParallelSample['bare']> {
  progress(`(1) ${tag}: bare pf, ${V} runs one after another`);
  ctx.server.reset();
  const { home, env } = await bareHome(ctx, tag);
  try {
    const started = performance.now();
    const connection = await bareConnection(ctx, env);
    const runs = [];
    for (const variant of ctx.fixture.variants) runs.push(await barePfRun(ctx, env, `${tag}_bare_${variant}`, variant));
    const totalMs = performance.now() - started;
    checkRequests(
      ctx.server,
      Array.from({ length: V }, () => N),
      'bare',
    );
    return {
      totalMs,
      connectionMs: connection.ms,
      connectionCpuSeconds: connection.cpuSeconds,
      runMs: runs.map((run) => run.ms),
      poolStartMs: runs.map((run) => run.poolStartMs),
      cpuSeconds: connection.cpuSeconds + runs.reduce((sum, run) => sum + run.cpuSeconds, 0),
    };
  } finally {
    await home.dispose();
  }
}

interface ManifestRun {
  name: string;
  status: string;
  variants: Record<string, string>;
  lines: { total: number; completed: number; failed: number };
  durationMs: number;
}

async function llmopsExperiment(ctx: Ctx, tag: string, variants: string, maxParallelRuns: number) {
  const outputDir = path.join(ctx.tmp, `${tag}-llmops`);
  const argv = [
    ctx.cli,
    'experiment',
    '--config',
    ctx.fixture.config,
    '--variants',
    variants,
    '--max-parallel-runs',
    String(maxParallelRuns),
    '--line-concurrency',
    String(C),
    '--output-dir',
    outputDir,
    '--python',
    python,
    '--json',
  ];
  // LLMOPS_DEBUG: the CLI logs each `pf run create` it starts and promptflow's stderr, which is
  // what the phase breakdown is read from (a few lines; no measurable cost).
  const env = { ...process.env, ...ctx.fixture.env, LLMOPS_DEBUG: '1' };
  const result = await timed(process.execPath, argv, env, ctx.tmp);
  if (result.exitCode !== 0) throw failure(`llmops experiment --variants ${variants}`, result);
  const manifest = JSON.parse(await readFile(path.join(outputDir, 'runs.json'), 'utf8')) as {
    executor: { home: string };
    runs: ManifestRun[];
  };
  for (const run of manifest.runs) {
    if (run.status !== 'Completed' || run.lines.completed !== N)
      throw new Error(`llmops run ${run.name}: ${run.status}, ${run.lines.completed}/${N} lines`);
  }
  const runs = [];
  for (const run of manifest.runs) {
    const launch = lineAt(result, new RegExp(`^debug: pf run create --name ${escapeRegExp(run.name)} `)) ?? Number.NaN;
    const timeline = await batchTimeline(path.join(manifest.executor.home, '.runs', run.name, 'logs.txt'));
    runs.push({
      ...timeline,
      name: run.name,
      durationMs: run.durationMs,
      launchAt: launch,
      submitAt: lineAt(result, new RegExp(`Submitting run ${escapeRegExp(run.name)},`)) ?? Number.NaN,
      doneAt: lineAt(result, new RegExp(`^run ${escapeRegExp(run.name)}: `)) ?? Number.NaN,
    });
  }
  return {
    result,
    runs,
    plannedAt: lineAt(result, /run\(s\) and \d+ evaluation\(s\) planned/) ?? Number.NaN,
    probeAt: lineAt(result, /^promptflow \S+ with /) ?? Number.NaN,
    connectionsAt: lineAt(result, /^created connections /) ?? Number.NaN,
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function llmopsParallel(ctx: Ctx, tag: string): Promise<ParallelSample['llmops']> {
  progress(`(1) ${tag}: llmops experiment --variants all --max-parallel-runs ${M}`);
  ctx.server.reset();
  const run = await llmopsExperiment(ctx, tag, 'all', M);
  if (run.runs.length !== V) throw new Error(`llmops planned ${run.runs.length} runs, expected ${V}`);
  checkRequests(
    ctx.server,
    Array.from({ length: V }, () => N),
    'llmops',
  );
  const firstLaunch = Math.min(...run.runs.map((r) => r.launchAt));
  const lastDone = Math.max(...run.runs.map((r) => r.doneAt));
  return {
    totalMs: run.result.ms,
    connectionMs: run.connectionsAt - run.probeAt,
    runPhaseMs: lastDone - firstLaunch,
    runMs: run.runs.map((r) => r.durationMs),
    poolStartMs: run.runs.map((r) => r.poolStartMs),
    cpuSeconds: run.result.cpuSeconds,
  };
}

async function bareSingle(ctx: Ctx, tag: string): Promise<OverheadSample['bare']> {
  progress(`(2) ${tag}: bare pf connection create + pf run create`);
  ctx.server.reset();
  const { home, env } = await bareHome(ctx, tag);
  try {
    const connection = await bareConnection(ctx, env);
    const run = await barePfRun(ctx, env, `${tag}_bare`);
    checkRequests(ctx.server, [N, ...Array.from({ length: V - 1 }, () => 0)], 'bare');
    return {
      connectionMs: connection.ms,
      runMs: run.ms,
      submitAt: run.submitAt,
      batchMs: run.batchMs,
      poolStartMs: run.poolStartMs,
      linesMs: run.linesMs,
      cpuSeconds: connection.cpuSeconds + run.cpuSeconds,
    };
  } finally {
    await home.dispose();
  }
}

async function llmopsSingle(ctx: Ctx, tag: string): Promise<OverheadSample['llmops']> {
  progress(`(2) ${tag}: llmops experiment --variants defaults`);
  ctx.server.reset();
  const run = await llmopsExperiment(ctx, tag, 'defaults', 1);
  if (run.runs.length !== 1) throw new Error(`llmops planned ${run.runs.length} runs, expected 1`);
  checkRequests(ctx.server, [N, ...Array.from({ length: V - 1 }, () => 0)], 'llmops');
  const only = run.runs[0]!;
  return {
    totalMs: run.result.ms,
    plannedAt: run.plannedAt,
    probeAt: run.probeAt,
    connectionsAt: run.connectionsAt,
    launchAt: only.launchAt,
    submitAt: only.submitAt,
    runMs: only.durationMs,
    doneAt: only.doneAt,
    poolStartMs: only.poolStartMs,
    linesMs: only.linesMs,
    cpuSeconds: run.result.cpuSeconds,
  };
}

function machineFacts(): Facts {
  const cpuModel =
    /model name\s*:\s*(.*)/.exec(safeRead('/proc/cpuinfo'))?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const versions = JSON.parse(
    execFileSync(
      python,
      [
        '-c',
        'import json, sys; from importlib.metadata import version as v; print(json.dumps({"python": sys.version.split()[0], "devkit": v("promptflow-devkit"), "tools": v("promptflow-tools")}))',
      ],
      { encoding: 'utf8' },
    ),
  ) as { python: string; devkit: string; tools: string };
  let git = 'unknown';
  try {
    git = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages/cli/dist', 'packages/core/src'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    if (dirty) git += ' (with uncommitted changes in packages/cli/dist or packages/core/src)';
  } catch {
    // Not a git checkout.
  }
  return {
    date: new Date().toISOString().slice(0, 10),
    nproc: os.availableParallelism(),
    cpuModel,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    python: versions.python,
    promptflow: versions.devkit,
    promptflowTools: versions.tools,
    git,
    cliBundle: '',
    loadBefore: os.loadavg()[0]!,
    loadAfter: Number.NaN,
  };
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);
}

/** Processes whose command line names our temp dir: promptflow left-overs of this bench. */
function processesMentioning(dir: string): number[] {
  const pids: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = safeRead(`/proc/${entry}/cmdline`).replace(/\0/g, ' ');
    if (cmdline.includes(dir)) pids.push(Number(entry));
  }
  return pids;
}
