/**
 * What the HTML and markdown reports are made of. Everything is passed in, nothing is read from
 * the clock or the disk, so the same input gives the same report byte for byte.
 */
import { formatDelta, formatMetric } from './format.js';
import type { GateResult } from './gates.js';
import type { BaselineIndex, MetricsDocument, MetricsRow } from './metrics.js';

/** One experiment (standard) run, as the experiment stage recorded it. */
export interface RunSummary {
  /** promptflow's run name. */
  name: string;
  dataset: string;
  variants: Record<string, string>;
  /** promptflow's status: Completed, Failed, Canceled. */
  status: string;
  lines: { total: number; completed: number; failed: number };
  tokens?: { total: number; prompt: number; completion: number };
  durationMs?: number;
  firstError?: string;
}

/** A line of a run that failed, with promptflow's error message. */
export interface FailedLine {
  run: string;
  lineNumber: number;
  error: string;
}

export interface EvaluationReport {
  metrics: MetricsDocument;
  /** The document the `baseline` input named; tables then show deltas. */
  baseline?: MetricsDocument;
  gates?: readonly GateResult[];
  runs?: readonly RunSummary[];
  failedLines?: readonly FailedLine[];
  /** Shown when given (e.g. an ISO time); never taken from the clock here. */
  generatedAt?: string;
}

/** `0.85 (+0.05)` with a baseline value, `0.85 (new)` when the baseline lacks it, `0.85` without a baseline. */
export function metricCell(row: MetricsRow, metric: string, baseline: BaselineIndex | undefined): { value: string; delta?: string } {
  if (!Object.hasOwn(row.metrics, metric)) return { value: '' };
  const value = formatMetric(row.metrics[metric]!);
  if (!baseline) return { value };
  const before = baseline.valueFor(row, metric);
  return { value, delta: before === undefined ? 'new' : formatDelta(row.metrics[metric]! - before) };
}

/** `1m 23.4s`, `850 ms`: run durations as people read them. */
export function formatDuration(durationMs: number): string {
  if (durationMs < 1000) return `${Math.round(durationMs)} ms`;
  const seconds = durationMs / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(1))}s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - minutes * 60;
  if (minutes < 60) return `${minutes}m ${Number(rest.toFixed(1))}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** At most `maxCharacters` code points, with `…` when cut, so a huge error message stays readable. */
export function truncateText(text: string, maxCharacters: number): string {
  const characters = [...text];
  if (characters.length <= maxCharacters) return text;
  return `${characters.slice(0, maxCharacters - 1).join('')}…`;
}
