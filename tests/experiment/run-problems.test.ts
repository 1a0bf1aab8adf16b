import { describe, expect, it } from 'vitest';
import type { FlowRunResult } from '@llmops/core/executor/types';
import { runProblems } from '@llmops/core/experiment/execute-plan';

function result(name: string, status: FlowRunResult['status'], total: number, failed: number, firstError?: string): FlowRunResult {
  return {
    name,
    status,
    lines: { total, completed: total - failed, failed },
    firstError,
    failedLines: [],
    tokens: { total: 0, prompt: 0, completion: 0 },
    durationMs: 0,
    outputsPath: '',
    runDir: '',
    metrics: {},
  };
}

describe('runProblems', () => {
  it('fails a Completed run whose lines all failed, which promptflow itself lets pass', () => {
    expect(runProblems([result('r1', 'Completed', 4, 4, 'ZeroDivisionError: division by zero')], 0)).toEqual([
      'run r1: 4 of 4 lines failed (100%, at most 0% allowed); first error: ZeroDivisionError: division by zero',
    ]);
  });

  it('lets a run pass at exactly the allowed failed-line ratio and fails it above', () => {
    expect(runProblems([result('r1', 'Completed', 10, 2)], 0.2)).toEqual([]);
    expect(runProblems([result('r1', 'Completed', 10, 3)], 0.2)).toEqual([
      'run r1: 3 of 10 lines failed (30%, at most 20% allowed)',
    ]);
  });

  it('fails a run that did not complete whatever the ratio', () => {
    expect(runProblems([result('r2', 'Failed', 0, 0, "The input for batch run is incorrect. Couldn't find these mapping relations: ${data.txt}")], 1)).toEqual([
      "run r2 failed: 0 of 0 lines failed; first error: The input for batch run is incorrect. Couldn't find these mapping relations: ${data.txt}",
    ]);
  });

  it("points at promptflow's log of the run, where a crashed line process leaves its cause", () => {
    const crashed = { ...result('r3', 'Completed', 24, 1, 'line 1: Process crashed while executing line 1,'), runDir: '/home/pf/.runs/r3' };
    expect(runProblems([crashed], 0)).toEqual([
      'run r3: 1 of 24 lines failed (4.2%, at most 0% allowed); first error: line 1: Process crashed while executing line 1,; promptflow log: /home/pf/.runs/r3/logs.txt',
    ]);
  });

  it('says nothing of clean runs', () => {
    expect(runProblems([result('a', 'Completed', 3, 0), result('b', 'Completed', 0, 0)], 0)).toEqual([]);
  });
});
