import path from 'node:path';
import pLimit from 'p-limit';
import type { FlowExecutor, FlowRunRequest, FlowRunResult } from '../executor/types.js';
import type { Logger } from '../host.js';

export interface ExecuteOptions {
  /** Runs at once. */
  maxParallelRuns: number;
  lineConcurrency: number;
  signal: AbortSignal;
  log: Logger;
}

/**
 * Run every request through the executor, up to `maxParallelRuns` at once. All runs finish (or
 * are cancelled) before this returns: a failed run does not hide the results of the others.
 */
export async function executeRuns(
  requests: FlowRunRequest[],
  executor: FlowExecutor,
  options: ExecuteOptions,
): Promise<FlowRunResult[]> {
  const limit = pLimit(Math.max(1, options.maxParallelRuns));
  return Promise.all(
    requests.map((request) =>
      limit(async () => {
        options.signal.throwIfAborted();
        const result = await executor.run(request, { signal: options.signal, lineConcurrency: options.lineConcurrency });
        const { lines } = result;
        options.log.info(
          `run ${result.name}: ${result.status}, ${lines.completed}/${lines.total} lines completed` +
            (lines.failed ? `, ${lines.failed} failed` : '') +
            ` in ${(result.durationMs / 1000).toFixed(1)} s`,
        );
        return result;
      }),
    ),
  );
}

/**
 * promptflow calls a run Completed even when every line failed; we judge ourselves. Returns one
 * line per run that fails the stage: which run, how many lines of how many, the first error.
 */
export function runProblems(results: FlowRunResult[], maxFailedLineRatio: number): string[] {
  const problems: string[] = [];
  for (const result of results) {
    const { total, failed } = result.lines;
    // The first error says what; promptflow's log of the run says why (a crashed line process
    // leaves only "Process crashed" in the line record, and its cause in logs.txt).
    const details =
      (result.firstError ? `; first error: ${result.firstError}` : '') +
      (result.runDir ? `; promptflow log: ${path.join(result.runDir, 'logs.txt')}` : '');
    if (result.status !== 'Completed') {
      problems.push(`run ${result.name} ${result.status.toLowerCase()}: ${failed} of ${total} lines failed${details}`);
      continue;
    }
    const ratio = total === 0 ? 0 : failed / total;
    if (ratio > maxFailedLineRatio) {
      problems.push(
        `run ${result.name}: ${failed} of ${total} lines failed (${percent(ratio)}, at most ${percent(maxFailedLineRatio)} allowed)${details}`,
      );
    }
  }
  return problems;
}

const percent = (ratio: number) => `${Math.round(ratio * 1000) / 10}%`;
