/**
 * LocalPromptflowExecutor against the real promptflow: the offline example's variants, runs that
 * fail some lines or fail to start, and nothing left running afterwards.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { LocalPromptflowExecutor } from '../../packages/core/src/promptflow/index.js';
import type { ResolvedFlow } from '../../packages/core/src/plan/types.js';
import {
  describeWithPromptflow,
  examplesDir,
  fixtureFlowsDir,
  flowAt,
  processesUsingHome,
  readJsonLines,
  recordingLogger,
  repoRoot,
  tempDir,
} from './support.js';

const example = path.join(examplesDir, 'offline-classification');
const tickets = path.join(example, 'data', 'tickets.jsonl');

describeWithPromptflow('LocalPromptflowExecutor: offline classification', () => {
  let executor: LocalPromptflowExecutor;
  let classifier: ResolvedFlow;
  let evaluation: ResolvedFlow;
  const log = recordingLogger();

  beforeAll(async () => {
    executor = await LocalPromptflowExecutor.start({ outputDir: await tempDir('executor'), projectDir: repoRoot, log });
    classifier = await flowAt(path.join(example, 'flows', 'classify'));
    evaluation = await flowAt(path.join(example, 'flows', 'evaluation'));
  });
  afterAll(async () => {
    await executor?.close();
  });

  const classify = (name: string, variants: Record<string, string>) =>
    executor.run(
      { name, flow: classifier, data: tickets, variants, columnMapping: { text: '${data.text}' } },
      { lineConcurrency: 2 },
    );
  const evaluate = (name: string, baseRun: string) =>
    executor.run({
      name,
      flow: evaluation,
      data: tickets,
      variants: {},
      baseRun,
      columnMapping: { groundtruth: '${data.category}', prediction: '${run.outputs.category}' },
    });

  test('runs the default and a one-node variant, reads lines and outputs, and evaluates each', async () => {
    const [defaults, scored] = await Promise.all([
      classify('defaults', { normalize: 'variant_0', classify: 'variant_0' }),
      classify('scored', { normalize: 'variant_0', classify: 'variant_1' }),
    ]);
    for (const result of [defaults, scored]) {
      expect(result).toMatchObject({
        status: 'Completed',
        lines: { total: 24, completed: 24, failed: 0 },
        failedLines: [],
      });
      expect(result.firstError).toBeUndefined();
      expect(result.runDir).toBe(path.join(executor.home.runsDir, result.name));
      expect(await readJsonLines(result.outputsPath)).toHaveLength(24);
      expect(result.tokens).toEqual({ total: 0, prompt: 0, completion: 0 });
      expect(result.durationMs).toBeGreaterThan(0);
    }
    // The one-node variant is promptflow's own --variant: the run records it.
    expect(log.lines.some((line) => line.includes('--variant ${classify.variant_1}'))).toBe(true);

    const [defaultsEval, scoredEval] = await Promise.all([
      evaluate('defaults_eval', 'defaults'),
      evaluate('scored_eval', 'scored'),
    ]);
    expect(defaultsEval).toMatchObject({ status: 'Completed', lines: { total: 24, completed: 24, failed: 0 } });
    expect(defaultsEval.metrics.accuracy).toBe(0.75);
    expect(scoredEval.metrics).toMatchObject({ accuracy: 0.9583, 'accuracy.technical': 0.8333, 'accuracy.billing': 1 });
  });

  test('a combination with two nodes off their default runs as a materialized flow', async () => {
    const both = await classify('both', { normalize: 'variant_1', classify: 'variant_1' });
    expect(both).toMatchObject({ status: 'Completed', lines: { total: 24, completed: 24, failed: 0 } });
    const materialized = await readFile(path.join(executor.home.dir, 'flows', 'both', 'flow.dag.yaml'), 'utf8');
    expect(materialized).not.toContain('node_variants');
    expect(materialized).toContain('path: normalize_tokens.py');
    expect(materialized).toContain('path: classify_scored.py');

    const outputs = await readJsonLines(both.outputsPath);
    // variant_1 of normalize strips punctuation: its output is visible in the flow's outputs.
    expect(outputs.find((line) => line.line_number === 1)?.normalized).toBe('can i get a refund for the annual plan');
    const evaluated = await evaluate('both_eval', 'both');
    expect(evaluated.metrics.accuracy).toBe(1);
  });

  test('lines that fail are counted and the first one is reported, though promptflow says Completed', async () => {
    const flow = await flowAt(path.join(fixtureFlowsDir, 'partial-failure'));
    const result = await executor.run({
      name: 'partial',
      flow,
      data: path.join(fixtureFlowsDir, 'partial-failure', 'data.jsonl'),
      variants: {},
      columnMapping: { text: '${data.text}' },
    });
    expect(result.status).toBe('Completed');
    expect(result.lines).toEqual({ total: 5, completed: 3, failed: 2 });
    expect(result.failedLines.map((line) => line.lineNumber)).toEqual([1, 3]);
    expect(result.firstError).toBe("line 1: Execution failure in 'shout': (ValueError) cannot shout 'boom one'");
    expect(await readJsonLines(result.outputsPath)).toHaveLength(3);
  });

  test('a setup error (column mapping to a missing column) is Failed with promptflow message', async () => {
    const flow = await flowAt(path.join(fixtureFlowsDir, 'partial-failure'));
    const result = await executor.run({
      name: 'bad_mapping',
      flow,
      data: path.join(fixtureFlowsDir, 'partial-failure', 'data.jsonl'),
      variants: {},
      columnMapping: { text: '${data.nope}' },
    });
    expect(result.status).toBe('Failed');
    expect(result.lines).toEqual({ total: 0, completed: 0, failed: 0 });
    expect(result.firstError).toMatch(
      /^The input for batch run is incorrect\. Couldn't find these mapping relations: \$\{data\.nope\}/,
    );
  });

  test('a data file that does not exist is Failed with the reason', async () => {
    const result = await executor.run({
      name: 'no_data',
      flow: classifier,
      data: path.join(example, 'data', 'missing.jsonl'),
      variants: {},
      columnMapping: { text: '${data.text}' },
    });
    expect(result.status).toBe('Failed');
    // pf stops before the run exists; its CLI message, folded to one line, is the reason.
    expect(result.firstError).toContain(
      `Can't find directory or file in resolved absolute path: ${path.join(example, 'data', 'missing.jsonl')}`,
    );
    expect(result.firstError).not.toContain('\n');
  });

  test('no promptflow process is left running in the home, and the home is isolated', async () => {
    expect(await processesUsingHome(executor.home.dir)).toEqual([]);
    const config = await readFile(path.join(executor.home.dir, 'pf.yaml'), 'utf8');
    expect(config).toMatch(/telemetry:\n {2}enabled: false/);
    expect(config).toMatch(/trace:\n {2}destination: none/);
    // The version check was not due: promptflow kept our timestamp instead of asking PyPI.
    const versionCheck = JSON.parse(await readFile(path.join(executor.home.dir, 'pf_version_check.json'), 'utf8'));
    expect(versionCheck.latest_version).toBe(executor.python.promptflowVersion);
  });
});

describeWithPromptflow('LocalPromptflowExecutor: a line whose process crashes', () => {
  const crashOnce = path.join(fixtureFlowsDir, 'crash-once');
  let executor: LocalPromptflowExecutor;
  let flow: ResolvedFlow;
  const log = recordingLogger();

  beforeAll(async () => {
    executor = await LocalPromptflowExecutor.start({ outputDir: await tempDir('crash'), projectDir: repoRoot, log });
    flow = await flowAt(crashOnce);
  });
  afterAll(async () => {
    await executor?.close();
  });

  const run = async (name: string, extra: Record<string, string> = {}) =>
    executor.run({
      name,
      flow,
      data: path.join(crashOnce, 'data.jsonl'),
      variants: {},
      columnMapping: { text: '${data.text}' },
      environmentVariables: { CRASH_MARKER_DIR: await tempDir('crash-marker'), ...extra },
    });

  test('resumes the run once: the crashed line runs again, the finished lines are kept', async () => {
    const result = await run('crash_once');
    expect(result).toMatchObject({
      name: 'crash_once_resume1',
      resumedFrom: 'crash_once',
      status: 'Completed',
      lines: { total: 3, completed: 3, failed: 0 },
      failedLines: [],
    });
    expect((await readJsonLines(result.outputsPath)).map((line) => line.echoed)).toEqual(['a', 'crash', 'b']);
    expect(log.lines).toContain(
      'warning: run crash_once: the process of 1 line(s) crashed; resuming it as run crash_once_resume1 to run its failed lines again',
    );
  });

  test('a line that crashes again stays failed, reported as a crash', async () => {
    const result = await run('crash_always', { CRASH_ALWAYS: '1' });
    expect(result).toMatchObject({ name: 'crash_always_resume1', resumedFrom: 'crash_always', lines: { total: 3, completed: 2, failed: 1 } });
    expect(result.failedLines).toEqual([{ lineNumber: 1, error: 'Process crashed while executing line 1,', crashed: true }]);
    expect(result.firstError).toBe('line 1: Process crashed while executing line 1,');
  });
});
