/**
 * Builtin evaluators run for real: experiment + evaluate through the bundled CLI, with the real
 * promptflow and azure-ai-evaluation from the repo's .venv, on tests/fixtures/builtin (four
 * canned answers). The expected metrics are computed here from the metrics' definitions, not
 * read from a previous run, so a change in what the evaluators compute shows up as a failure.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { runCli } from '../harness/runner-faces.js';
import { describeWithPromptflow, processesUsingHome, readJsonLines, tempDir } from '../promptflow/support.js';
import { builtinDir } from './support.js';

const config = path.join(builtinDir, 'experiment.yaml');
const slow = { timeoutMs: 600_000 };

interface MetricsJson {
  rows: { evaluator: string; dataset: string; run: string; metrics: Record<string, number> }[];
}

/** SQuAD's answer normalization, which azure-ai-evaluation's F1ScoreEvaluator uses. */
function squadTokens(text: string): string[] {
  const withoutPunctuation = [...text.toLowerCase()].filter((char) => !/[!-/:-@[-`{-~]/.test(char)).join('');
  return withoutPunctuation
    .replace(/\b(a|an|the)\b/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Token-level F1: shared tokens (with multiplicity) over response (precision) and ground truth (recall). */
function f1Score(response: string, groundTruth: string): number {
  const predicted = squadTokens(response);
  const reference = squadTokens(groundTruth);
  const remaining = new Map<string, number>();
  for (const token of reference) remaining.set(token, (remaining.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of predicted) {
    const left = remaining.get(token) ?? 0;
    if (left > 0) {
      common++;
      remaining.set(token, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / predicted.length;
  const recall = common / reference.length;
  return (2 * precision * recall) / (precision + recall);
}

/** ROUGE-L: longest common subsequence of lower-cased alphanumeric tokens (no stemming). */
function rougeL(response: string, groundTruth: string): { precision: number; recall: number; fmeasure: number } {
  const tokens = (text: string) => text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  const predicted = tokens(response);
  const reference = tokens(groundTruth);
  const table = Array.from({ length: reference.length + 1 }, () => new Array<number>(predicted.length + 1).fill(0));
  for (let i = 1; i <= reference.length; i++) {
    for (let j = 1; j <= predicted.length; j++) {
      table[i]![j] =
        reference[i - 1] === predicted[j - 1] ? table[i - 1]![j - 1]! + 1 : Math.max(table[i - 1]![j]!, table[i]![j - 1]!);
    }
  }
  const lcs = table[reference.length]![predicted.length]!;
  const precision = predicted.length ? lcs / predicted.length : 0;
  const recall = reference.length ? lcs / reference.length : 0;
  const fmeasure = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, fmeasure };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const passRate = (values: number[], threshold: number) => mean(values.map((value) => (value >= threshold ? 1 : 0)));

/** Same keys, each value equal to 12 decimals (the mean is summed in Python, perhaps in another order). */
function expectMetrics(actual: Record<string, number> | undefined, expected: Record<string, number>): void {
  expect(Object.keys(actual ?? {}).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, value] of Object.entries(expected)) expect(actual![name], name).toBeCloseTo(value, 12);
}

describeWithPromptflow('builtin evaluators: experiment + evaluate through the CLI bundle', () => {
  let out: string;
  let metrics: MetricsJson;
  let home: string;
  let evaluateSummary: string;
  let pairs: { response: string; groundTruth: string }[];

  beforeAll(async () => {
    out = await tempDir('builtin');
    const experiment = await runCli(['experiment', '--config', config, '--output-dir', out, '--json'], slow);
    expect(experiment.exitCode, experiment.stderr).toBe(0);
    const runsFile = (JSON.parse(experiment.stdout) as { runs: string }).runs;
    const manifest = JSON.parse(await fs.readFile(runsFile, 'utf8')) as {
      executor: { home: string };
      runs: { outputsPath: string }[];
    };
    home = manifest.executor.home;

    const evaluate = await runCli(
      ['evaluate', '--config', config, '--runs', runsFile, '--output-dir', out, '--json', '--gates', 'f1_score >= 0.45\nrouge_precision >= 0.5 for rouge_l'],
      slow,
    );
    expect(evaluate.exitCode, evaluate.stderr).toBe(0);
    evaluateSummary = evaluate.summary;
    metrics = JSON.parse(await fs.readFile((JSON.parse(evaluate.stdout) as { metrics: string }).metrics, 'utf8')) as MetricsJson;

    // The flow's real answers, joined with the ground truth by line number as promptflow joins them.
    const data = await readJsonLines(path.join(builtinDir, 'data/qa.jsonl'));
    const outputs = await readJsonLines(manifest.runs[0]!.outputsPath);
    pairs = outputs.map((line) => ({
      response: String(line.answer),
      groundTruth: String(data[Number(line.line_number)]!.expected),
    }));
  }, 600_000);

  it('answers every question (the evaluators grade four lines)', () => {
    expect(pairs).toHaveLength(4);
  });

  it('reports f1_score as the mean token F1, and the pass rate at the configured threshold', () => {
    const scores = pairs.map((pair) => f1Score(pair.response, pair.groundTruth));
    // By hand: 1 (same words, reordered), 0.4, 0.6 and 0 (nothing shared).
    expect(scores.map((score) => Math.round(score * 1e6) / 1e6)).toEqual([1, 0.4, 0.6, 0]);
    const row = metrics.rows.find((candidate) => candidate.evaluator === 'f1');
    expect(row).toMatchObject({ dataset: 'qa', run: expect.stringMatching(/^builtin_qa__qa/) });
    // init threshold 0.35, not the SDK's default 0.5: three lines pass, not two.
    expectMetrics(row?.metrics, { f1_score: mean(scores), f1_score_pass_rate: passRate(scores, 0.35) });
    expect(row!.metrics.f1_score_pass_rate).toBe(0.75);
  });

  it('reports ROUGE-L (init rouge_type) F-measure, precision and recall', () => {
    const scores = pairs.map((pair) => rougeL(pair.response, pair.groundTruth));
    const fmeasures = scores.map((score) => score.fmeasure);
    const row = metrics.rows.find((candidate) => candidate.evaluator === 'rouge_l');
    expectMetrics(row?.metrics, {
      rouge: mean(fmeasures),
      rouge_f1_score: mean(fmeasures),
      rouge_precision: mean(scores.map((score) => score.precision)),
      rouge_recall: mean(scores.map((score) => score.recall)),
      rouge_pass_rate: passRate(fmeasures, 0.5),
    });
  });

  it('gates on builtin metrics like on any other', () => {
    expect(evaluateSummary).toContain('f1_score >= 0.45');
    expect(evaluateSummary).toContain('rouge_precision >= 0.5 for rouge_l');
  });

  it('writes each builtin flow under the output dir, runnable by hand with pf', async () => {
    const flowDir = path.join(out, 'builtin-evaluators', 'rouge_l');
    expect((await fs.readdir(flowDir)).sort()).toEqual(['flow.flex.yaml', 'init.json', 'llmops_builtin_evaluator.py']);
    expect(await fs.readFile(path.join(flowDir, 'flow.flex.yaml'), 'utf8')).toContain('entry: llmops_builtin_evaluator:BuiltinEvaluator');
    expect(JSON.parse(await fs.readFile(path.join(flowDir, 'init.json'), 'utf8'))).toEqual({ rouge_type: 'rougeL' });
  });

  it('leaves no promptflow process behind', async () => {
    expect(await processesUsingHome(home)).toEqual([]);
  });
});
