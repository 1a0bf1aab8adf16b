import type { ResolvedFlow } from '../plan/types.js';

/**
 * The port through which stages run flows: locally with promptflow today, on Azure ML compute
 * later. Stage code is the same whichever executor is plugged in.
 */
export interface FlowRunRequest {
  /** Unique among the runs of one executor home; evaluation runs name their base run by it. */
  name: string;
  flow: ResolvedFlow;
  data: string;
  /** The variant of every node that has variants; the executor decides how to select them. */
  variants: Record<string, string>;
  columnMapping: Record<string, string>;
  /** Evaluation runs: the run whose outputs `${run.outputs.x}` reads. */
  baseRun?: string;
}

export interface LineCounts {
  total: number;
  completed: number;
  failed: number;
}

export interface TokenUsage {
  total: number;
  prompt: number;
  completion: number;
}

export interface FailedLine {
  lineNumber: number;
  error: string;
  /** The line's process died under it (promptflow's ProcessCrashError): not the flow's fault. */
  crashed?: boolean;
}

export interface FlowRunResult {
  name: string;
  status: 'Completed' | 'Failed' | 'Canceled';
  lines: LineCounts;
  /** The run's own error (setup failure) or the first failed line's. */
  firstError?: string;
  failedLines: FailedLine[];
  tokens: TokenUsage;
  durationMs: number;
  /** flow_outputs/output.jsonl of the run. */
  outputsPath: string;
  runDir: string;
  /** Metrics the flow logged (aggregation nodes, __aggregate__). */
  metrics: Record<string, number>;
  /** The run this one resumed to re-run lines whose process crashed (promptflow --resume-from). */
  resumedFrom?: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Lines executed at once inside the run. */
  lineConcurrency?: number;
}

export interface FlowExecutor {
  run(request: FlowRunRequest, options?: RunOptions): Promise<FlowRunResult>;
  /** Stop anything still running and release background processes. */
  close(): Promise<void>;
}
