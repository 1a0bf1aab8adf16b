/**
 * Measuring helpers for bench/experiment.ts: child processes timed to the millisecond with
 * every output line time-stamped on arrival, CPU time of finished children, medians.
 *
 * Children start as leaders of their own process group (as llmops' runProcess does) and the
 * group is killed once the leader exits, on abort, or on a time limit, so neither side of the
 * comparison leaves promptflow workers behind and the bench always ends.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export interface TimedLine {
  /** Milliseconds after spawn when the line arrived. */
  at: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface TimedResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderr: string;
  lines: TimedLine[];
  /** CPU seconds (user + system) of the child and the descendants it waited for. */
  cpuSeconds: number;
  timedOut: boolean;
}

export interface TimedOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  timeoutMs: number;
}

/** Clock ticks per second of /proc/<pid>/stat; 100 on every Linux we run on. */
const CLOCK_TICKS = 100;

/** CPU seconds of this process's waited-for children (cutime + cstime); 0 off Linux. */
export function childrenCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

export function runTimed(command: string, args: string[], options: TimedOptions): Promise<TimedResult> {
  const cpuBefore = childrenCpuSeconds();
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    const lines: TimedLine[] = [];
    const text = { stdout: '', stderr: '' };
    const pending = { stdout: '', stderr: '' };
    let timedOut = false;
    const killGroup = (signal: NodeJS.Signals) => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, signal);
      } catch {
        // ESRCH: already gone.
      }
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].setEncoding('utf8').on('data', (chunk: string) => {
        const at = elapsed();
        text[stream] += chunk;
        const parts = (pending[stream] + chunk).split('\n');
        pending[stream] = parts.pop() ?? '';
        for (const line of parts) lines.push({ at, stream, text: line.replace(/\r$/, '') });
      });
    }
    const onAbort = () => killGroup('SIGKILL');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.once('close', (exitCode, signal) => {
      const ms = elapsed();
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Whatever the leader left in its group goes with it (as in llmops' runProcess).
      killGroup('SIGKILL');
      for (const stream of ['stdout', 'stderr'] as const)
        if (pending[stream]) lines.push({ at: ms, stream, text: pending[stream] });
      resolve({
        exitCode,
        signal,
        ms,
        stdout: text.stdout,
        stderr: text.stderr,
        lines,
        cpuSeconds: childrenCpuSeconds() - cpuBefore,
        timedOut,
      });
    });
  });
}

/** When a line matching `pattern` first arrived, ms after spawn. */
export function lineAt(result: TimedResult, pattern: RegExp): number | undefined {
  return result.lines.find((line) => pattern.test(line.text))?.at;
}

export function median(values: number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The run JSON `pf run create` prints last on stdout. */
export function printedRun(stdout: string): Record<string, any> | undefined {
  const start = stdout.lastIndexOf('\n{\n');
  const json = start >= 0 ? stdout.slice(start + 1) : stdout.trimStart().startsWith('{') ? stdout : undefined;
  if (!json) return undefined;
  try {
    return JSON.parse(json.slice(0, json.lastIndexOf('}') + 1));
  } catch {
    return undefined;
  }
}

export const seconds = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : 'n/a');

export interface BatchTimeline {
  /** promptflow's "Set process count" to the first line starting: the worker pool's start-up. */
  poolStartMs: number;
  /** First line starting to "Finished N / N lines". */
  linesMs: number;
}

/**
 * The batch engine's own timeline from a run folder's logs.txt (whole-second time stamps, so
 * each figure is +-1 s).
 */
export async function batchTimeline(logsFile: string): Promise<BatchTimeline> {
  let text = '';
  try {
    text = await readFile(logsFile, 'utf8');
  } catch {
    return { poolStartMs: Number.NaN, linesMs: Number.NaN };
  }
  const stamp = (pattern: RegExp, last = false) => {
    const lines = text.split('\n').filter((line) => pattern.test(line));
    const line = last ? lines[lines.length - 1] : lines[0];
    const match = line && /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([+-]\d{4})/.exec(line);
    return match
      ? Date.parse(`${match[1]!.replace(' ', 'T')}${match[2]!.slice(0, 3)}:${match[2]!.slice(3)}`)
      : Number.NaN;
  };
  const poolSet = stamp(/Set process count to/);
  const firstLine = stamp(/start execution\./);
  const finished = stamp(/Finished (\d+) \/ \1 lines\./, true);
  return { poolStartMs: firstLine - poolSet, linesMs: finished - firstLine };
}
