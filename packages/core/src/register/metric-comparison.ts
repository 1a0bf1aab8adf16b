/**
 * `only-if-better`: is the candidate flow at least as good as the newest registered version, on
 * the metrics the experiment's gates name? The gate operator says which way is better:
 * `>=`/`>` higher is better, `<=`/`<` lower is better; `==`/`!=` have no direction and are not
 * compared. Thresholds play no part: gates decide "good enough", this decides "not worse".
 *
 * Rows are matched as evaluate's baseline matches them (evaluator, dataset, variants). A row the
 * latest version was measured on that the candidate lacks is a failed comparison: a guard that
 * passes because it had nothing to look at is no guard. A candidate row the latest version lacks
 * is new and cannot be worse.
 */
import { StageFailure } from '../errors.js';
import { formatDelta, formatMetric } from '../evaluate/format.js';
import type { Gate, GateOperator } from '../evaluate/gates.js';
import { escapeMarkdownText } from '../evaluate/markdown-text.js';
import { BaselineIndex, variantLabel, type MetricsDocument, type MetricsRow } from '../evaluate/metrics.js';
import { code, markdownTable } from '../markdown.js';

export type MetricDirection = 'higher' | 'lower';

export function directionOf(operator: GateOperator): MetricDirection | undefined {
  if (operator === '>=' || operator === '>') return 'higher';
  if (operator === '<=' || operator === '<') return 'lower';
  return undefined;
}

export interface MetricComparison {
  gate: Gate;
  direction: MetricDirection;
  /** The row compared (the candidate's, or the latest's when the candidate lacks it). */
  row: MetricsRow;
  candidate?: number;
  latest?: number;
  worse: boolean;
  reason: string;
}

/** Every directional gate against every row either document has for it, candidate rows first. */
export function compareWithLatest(
  gates: readonly Gate[],
  candidate: MetricsDocument,
  latest: MetricsDocument,
): MetricComparison[] {
  const latestIndex = new BaselineIndex(latest);
  const candidateIndex = new BaselineIndex(candidate);
  const comparisons: MetricComparison[] = [];
  for (const gate of gates) {
    const direction = directionOf(gate.operator);
    if (!direction) continue;
    const inScope = (row: MetricsRow) =>
      Object.hasOwn(row.metrics, gate.metric) &&
      (gate.dataset === undefined || row.dataset === gate.dataset) &&
      (gate.evaluator === undefined || row.evaluator === gate.evaluator);

    for (const row of candidate.rows.filter(inScope)) {
      const value = row.metrics[gate.metric]!;
      const previous = latestIndex.valueFor(row, gate.metric);
      if (previous === undefined) {
        comparisons.push({
          gate,
          direction,
          row,
          candidate: value,
          worse: false,
          reason: 'new: the latest version has no value to compare with',
        });
        continue;
      }
      const worse = isWorse(value, previous, direction);
      const change = `${formatDelta(value - previous)}, ${direction} is better`;
      comparisons.push({
        gate,
        direction,
        row,
        candidate: value,
        latest: previous,
        worse,
        reason: worse ? `worse than the latest version (${change})` : `not worse (${change})`,
      });
    }
    for (const row of latest.rows.filter(inScope)) {
      if (candidateIndex.valueFor(row, gate.metric) !== undefined) continue;
      comparisons.push({
        gate,
        direction,
        row,
        latest: row.metrics[gate.metric]!,
        worse: true,
        reason: 'missing: the latest version was measured on this row, the new metrics have no value for it',
      });
    }
  }
  return comparisons;
}

/**
 * Metrics are floating-point results (and 0.1 + 0.2 is not 0.3): values within a relative 1e-9
 * are equal, as in the gates, and equal is not worse.
 */
function isWorse(candidate: number, latest: number, direction: MetricDirection): boolean {
  const tolerance = 1e-9 * Math.max(1, Math.abs(candidate), Math.abs(latest));
  return direction === 'higher' ? candidate < latest - tolerance : candidate > latest + tolerance;
}

/** The comparisons as a markdown table, worse rows first. */
export function comparisonMarkdown(comparisons: readonly MetricComparison[], latestLabel: string): string {
  const ordered = [...comparisons.filter((c) => c.worse), ...comparisons.filter((c) => !c.worse)];
  return markdownTable(
    ['Result', 'Gate', 'Evaluator', 'Dataset', 'Variants', 'New', `Latest (${latestLabel})`, 'Reason'],
    ordered.map((comparison) => [
      comparison.worse ? '❌ worse' : '✅ not worse',
      code(comparison.gate.text),
      escapeMarkdownText(comparison.row.evaluator),
      escapeMarkdownText(comparison.row.dataset),
      escapeMarkdownText(variantLabel(comparison.row.variants)),
      comparison.candidate === undefined ? '' : formatMetric(comparison.candidate),
      comparison.latest === undefined ? '' : formatMetric(comparison.latest),
      escapeMarkdownText(comparison.reason),
    ]),
  );
}

/** The refusal, or undefined when no comparison is worse. One line names the first worse metric. */
export function worseMetricsFailure(
  comparisons: readonly MetricComparison[],
  model: { name: string; latestVersion: string },
): StageFailure | undefined {
  const worse = comparisons.filter((comparison) => comparison.worse);
  if (worse.length === 0) return undefined;
  const first = worse[0]!;
  const latestLabel = `${model.name}:${model.latestVersion}`;
  const where = `${first.row.evaluator} on ${first.row.dataset}, ${variantLabel(first.row.variants)}`;
  const what =
    first.candidate === undefined
      ? `has no value in the new metrics (${latestLabel} had ${formatMetric(first.latest!)})`
      : `is worse: ${formatMetric(first.candidate)} vs ${formatMetric(first.latest!)} in ${latestLabel}, ${first.direction} is better`;
  const more = worse.length > 1 ? `; ${worse.length - 1} more worse` : '';
  return new StageFailure(
    `only-if-better: refusing to register a new version of model ${model.name}, nothing was registered: ` +
      `${first.gate.metric} of '${first.gate.text}' (${where}) ${what}${more}`,
    `### llmops register-if-changed: not better than ${code(latestLabel)}\n\n${comparisonMarkdown(comparisons, `v${model.latestVersion}`)}\n`,
  );
}
