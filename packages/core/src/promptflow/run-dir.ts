/**
 * Reading a local promptflow run's folder (<PF_HOME_DIRECTORY>/.runs/<name>/) ourselves, because
 * promptflow's own verdict is not enough: a run whose every line failed is "Completed", and a
 * setup error without --stream is "Failed" with exit code 0. Layout in promptflow 1.18.5:
 *
 *   inputs.jsonl                  the mapped inputs, one per line that was scheduled
 *   flow_artifacts/<a>_<b>.jsonl  one record per line: {line_number, run_info: {status, error,
 *                                 system_metrics: {prompt_tokens, completion_tokens, total_tokens}}}
 *   flow_outputs/output.jsonl     outputs of the completed lines only, with line_number
 *   metrics.json                  what aggregation nodes logged with log_metric
 *   error.json                    the run's error: a setup error, or "Failed to run X/Y lines. ..."
 *   logs.txt, snapshot/, node_artifacts/, flow_logs/
 *
 * The run's status (Completed/Failed) itself lives in pf.sqlite, not in the folder; `pf run
 * create` prints it in its final JSON, which the executor parses (see parseRunJson).
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FailedLine, LineCounts, TokenUsage } from '../executor/types.js';

export interface RunDirectoryContents {
  lines: LineCounts;
  /** Failed lines, by line number. */
  failedLines: FailedLine[];
  /** error.json's message, when the run has one. */
  runError?: string;
  /** Summed over the lines' system metrics. */
  tokens: TokenUsage;
  metrics: Record<string, number>;
  outputsPath: string;
}

interface LineRecord {
  line_number?: number;
  status?: string;
  run_info?: {
    status?: string;
    error?: { message?: string; innerError?: { code?: string } | null } | null;
    system_metrics?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
  };
}

export async function readRunDirectory(runDir: string): Promise<RunDirectoryContents> {
  const [records, inputLines, metrics, runError] = await Promise.all([
    readLineRecords(path.join(runDir, 'flow_artifacts')),
    countJsonLines(path.join(runDir, 'inputs.jsonl')),
    readMetrics(path.join(runDir, 'metrics.json')),
    readErrorMessage(path.join(runDir, 'error.json')),
  ]);

  const byLine = new Map<number, LineRecord>();
  for (const record of records) {
    if (typeof record.line_number === 'number') byLine.set(record.line_number, record);
  }
  const failedLines: FailedLine[] = [];
  let completed = 0;
  const tokens: TokenUsage = { total: 0, prompt: 0, completion: 0 };
  for (const [lineNumber, record] of [...byLine.entries()].sort(([a], [b]) => a - b)) {
    const status = record.run_info?.status ?? record.status;
    if (status === 'Completed') completed++;
    else {
      const error = record.run_info?.error;
      failedLines.push({
        lineNumber,
        error: error?.message ?? `line ${status ?? 'did not finish'}`,
        ...(error?.innerError?.code === 'ProcessCrashError' && { crashed: true }),
      });
    }
    const usage = record.run_info?.system_metrics;
    tokens.total += usage?.total_tokens ?? 0;
    tokens.prompt += usage?.prompt_tokens ?? 0;
    tokens.completion += usage?.completion_tokens ?? 0;
  }
  // A canceled run has inputs for lines that never produced a record: they did not complete.
  const total = Math.max(inputLines, byLine.size);
  return {
    lines: { total, completed, failed: total - completed },
    failedLines,
    runError,
    tokens,
    metrics,
    outputsPath: path.join(runDir, 'flow_outputs', 'output.jsonl'),
  };
}

/** The run JSON `pf run create` prints last (indent 4, starting with `{` at column 0). */
export interface PrintedRun {
  name?: string;
  status?: string;
  properties?: {
    output_path?: string;
    system_metrics?: { total_tokens?: number; prompt_tokens?: number; completion_tokens?: number; duration?: number };
  };
  error?: { message?: string };
}

export function parseRunJson(stdout: string): PrintedRun | undefined {
  // promptflow's executor logs share stdout; the run JSON is the last top-level object.
  const start = stdout.lastIndexOf('\n{\n');
  const text = start >= 0 ? stdout.slice(start + 1) : stdout.startsWith('{\n') ? stdout : undefined;
  if (!text) return undefined;
  try {
    return JSON.parse(text) as PrintedRun;
  } catch {
    return undefined;
  }
}

async function readLineRecords(dir: string): Promise<LineRecord[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((file) => file.endsWith('.jsonl')).sort();
  } catch {
    return [];
  }
  const records: LineRecord[] = [];
  for (const file of files) {
    for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as LineRecord);
      } catch {
        // A record cut short by a kill (canceled run): that line did not finish.
      }
    }
  }
  return records;
}

async function countJsonLines(file: string): Promise<number> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim()).length;
  } catch {
    return 0;
  }
}

async function readMetrics(file: string): Promise<Record<string, number>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return {};
  }
  const metrics: Record<string, number> = {};
  if (raw && typeof raw === 'object') {
    for (const [name, value] of Object.entries(raw)) {
      if (typeof value === 'number' && Number.isFinite(value)) metrics[name] = value;
    }
  }
  return metrics;
}

async function readErrorMessage(file: string): Promise<string | undefined> {
  try {
    const error = JSON.parse(await readFile(file, 'utf8')) as { message?: unknown };
    return typeof error.message === 'string' && error.message ? error.message : undefined;
  } catch {
    return undefined;
  }
}
