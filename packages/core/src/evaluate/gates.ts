/**
 * Quality gates: `accuracy >= 0.8`, `exact_match_rate >= 0.7 on tickets`,
 * `accuracy >= baseline - 0.02 for accuracy_eval`. They come from experiment.yaml's `gates:`
 * list and from the stage's `gates` input (one per line), and are checked against every metrics
 * row they apply to.
 *
 * A gate that cannot be checked never passes: a metric no row has (a typo, an evaluator that
 * stopped reporting it) or a current row the baseline has no counterpart for is a failed check,
 * because a gate that silently passes when it has nothing to look at is worse than none.
 */
import { ConfigurationError, StageFailure, type SourceLocation } from '../errors.js';
import { code, markdownTable } from '../markdown.js';
import { formatDelta, formatMetric } from './format.js';
import { escapeMarkdownText } from './markdown-text.js';
import { BaselineIndex, variantLabel, type MetricsDocument, type MetricsRow } from './metrics.js';

export const GATE_OPERATORS = ['>=', '>', '<=', '<', '==', '!='] as const;
export type GateOperator = (typeof GATE_OPERATORS)[number];

export const GATE_FORM = '<metric> <op> <value> [on <dataset>] [for <evaluator>]';

/** What the metric is compared with: a fixed number, or the baseline's value plus an offset. */
export type GateThreshold = { kind: 'value'; value: number } | { kind: 'baseline'; offset: number };

/** Where a gate was written, for error messages and annotations. */
export interface GateOrigin {
  /** `gates[2]` (experiment.yaml) or `input 'gates' line 3`. */
  label: string;
  location?: SourceLocation;
}

export interface Gate {
  /** The gate as the user wrote it, trimmed, runs of whitespace as one space. */
  text: string;
  metric: string;
  operator: GateOperator;
  threshold: GateThreshold;
  /** `on <dataset>`: only rows of this experiment dataset. */
  dataset?: string;
  /** `for <evaluator>`: only rows of this evaluator (two evaluators may report the same metric name). */
  evaluator?: string;
  origin: GateOrigin;
}

const NUMBER = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
const HEAD = /^([^\s<>=!]+)\s*([<>=!]+)\s*(.*)$/s;
const VALUE = new RegExp(String.raw`^(?:baseline\s*([+-])\s*(${NUMBER})|(baseline)|(${NUMBER}))(?=\s|$)`);

/** Parse one gate; a malformed one is a one-line ConfigurationError at `origin`. */
export function parseGate(text: string, origin: GateOrigin): Gate {
  // Collapsed whitespace: a YAML block scalar may span lines; messages must stay on one.
  const trimmed = text.trim().replace(/\s+/g, ' ');
  const fail = (problem: string): never => {
    throw new ConfigurationError(`${origin.label}: '${trimmed}' is not a gate${problem}`, origin.location);
  };
  const expectedForm = `; expected '${GATE_FORM}'`;

  const head = HEAD.exec(trimmed);
  if (!head) return fail(expectedForm);
  const [, metric, operatorText, rest] = head as unknown as [string, string, string, string];
  if (!(GATE_OPERATORS as readonly string[]).includes(operatorText)) {
    return fail(`: unknown operator '${operatorText}' (use ${GATE_OPERATORS.join(', ')})`);
  }
  const operator = operatorText as GateOperator;

  const value = VALUE.exec(rest);
  if (!value) {
    const found = rest === '' ? 'nothing' : `'${rest.split(/\s+/)[0]}'`;
    return fail(`: expected a number, 'baseline', 'baseline - <number>' or 'baseline + <number>' after '${operator}', found ${found}`);
  }
  const [matched, offsetSign, offsetText, plainBaseline, numberText] = value;
  let threshold: GateThreshold;
  if (numberText !== undefined) threshold = { kind: 'value', value: Number(numberText) };
  else if (plainBaseline !== undefined) threshold = { kind: 'baseline', offset: 0 };
  else threshold = { kind: 'baseline', offset: (offsetSign === '-' ? -1 : 1) * Number(offsetText) };
  if ((threshold.kind === 'value' && !Number.isFinite(threshold.value)) || (threshold.kind === 'baseline' && !Number.isFinite(threshold.offset))) {
    return fail(': the number is out of range');
  }

  const gate: Gate = { text: trimmed, metric, operator, threshold, origin };
  const qualifiers = rest.slice(matched.length).trim();
  const words = qualifiers === '' ? [] : qualifiers.split(/\s+/);
  for (let index = 0; index < words.length; index += 2) {
    const keyword = words[index]!;
    const name = words[index + 1];
    const field = keyword === 'on' ? 'dataset' : keyword === 'for' ? 'evaluator' : undefined;
    if (!field) return fail(`: unexpected '${keyword}' after the value${expectedForm}`);
    if (name === undefined) return fail(`: '${keyword}' needs ${field === 'dataset' ? 'a dataset' : 'an evaluator'} name`);
    if (gate[field] !== undefined) return fail(`: '${keyword}' is given twice`);
    gate[field] = name;
  }
  return gate;
}

/** experiment.yaml `gates:` entries; labels are `gates[<index>]`, 0-based like other config paths. */
export function parseGateList(entries: readonly { text: string; location?: SourceLocation }[], listName = 'gates'): Gate[] {
  return entries.map((entry, index) => parseGate(entry.text, { label: `${listName}[${index}]`, location: entry.location }));
}

/** The `gates` input: one gate per line; blank lines and `#` comment lines are ignored. */
export function parseGatesInput(text: string, inputName = 'gates'): Gate[] {
  const gates: Gate[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    gates.push(parseGate(trimmed, { label: `input '${inputName}' line ${index + 1}` }));
  });
  return gates;
}

/** One check of one gate against one metrics row, or a gate that had no row to check. */
export interface GateResult {
  gate: Gate;
  /** The row checked; undefined when no row has the gate's metric. */
  row?: MetricsRow;
  actual?: number;
  /** The threshold `actual` was compared with (for baseline gates: baseline value + offset). */
  expected?: number;
  /** Baseline gates: the baseline row's value. */
  baseline?: number;
  passed: boolean;
  /** One line: why it passed or failed. */
  reason: string;
}

/**
 * Check every gate against every row it applies to: rows with the gate's metric, of its
 * dataset and evaluator when given. Results follow gate order, then row order.
 * A baseline gate without a baseline document is a configuration error, not a failed check:
 * the pipeline is set up wrong, and the message says where the gate is.
 */
export function evaluateGates(gates: readonly Gate[], current: MetricsDocument, baseline?: MetricsDocument): GateResult[] {
  const baselineIndex = baseline && new BaselineIndex(baseline);
  for (const gate of gates) {
    if (gate.threshold.kind === 'baseline' && !baselineIndex) {
      throw new ConfigurationError(
        `${gate.origin.label}: '${gate.text}' compares with the baseline, but no baseline metrics were given (set the 'baseline' input)`,
        gate.origin.location,
      );
    }
  }
  return gates.flatMap((gate) => evaluateGate(gate, current, baselineIndex));
}

function evaluateGate(gate: Gate, current: MetricsDocument, baselineIndex: BaselineIndex | undefined): GateResult[] {
  const inScope = current.rows.filter(
    (row) => (gate.dataset === undefined || row.dataset === gate.dataset) && (gate.evaluator === undefined || row.evaluator === gate.evaluator),
  );
  const measured = inScope.filter((row) => Object.hasOwn(row.metrics, gate.metric));
  if (measured.length === 0) {
    return [{ gate, passed: false, reason: nothingToCheck(gate, current, inScope) }];
  }
  return measured.map((row) => {
    const actual = row.metrics[gate.metric]!;
    if (gate.threshold.kind === 'value') {
      const expected = gate.threshold.value;
      const passed = compare(actual, gate.operator, expected);
      return { gate, row, actual, expected, passed, reason: comparisonReason(actual, gate.operator, expected, passed) };
    }
    const baselineRow = baselineIndex!.rowFor(row);
    if (!baselineRow) {
      return { gate, row, actual, passed: false, reason: 'the baseline has no row for this evaluator, dataset and variants' };
    }
    if (!Object.hasOwn(baselineRow.metrics, gate.metric)) {
      return { gate, row, actual, passed: false, reason: `the baseline row has no metric '${gate.metric}'` };
    }
    const baselineValue = baselineRow.metrics[gate.metric]!;
    const expected = baselineValue + gate.threshold.offset;
    const passed = compare(actual, gate.operator, expected);
    const offset = gate.threshold.offset === 0 ? '' : ` ${gate.threshold.offset < 0 ? '-' : '+'} ${formatMetric(Math.abs(gate.threshold.offset))}`;
    const reason = `${comparisonReason(actual, gate.operator, expected, passed)} (baseline ${formatMetric(baselineValue)}${offset}; change ${formatDelta(actual - baselineValue)})`;
    return { gate, row, actual, expected, baseline: baselineValue, passed, reason };
  });
}

/** Why a gate found no row: name the filter that matched nothing, so typos are obvious. */
function nothingToCheck(gate: Gate, current: MetricsDocument, inScope: MetricsRow[]): string {
  const list = (values: Iterable<string>) => [...new Set(values)].map((value) => `'${value}'`).join(', ') || 'none';
  if (gate.dataset !== undefined && !current.rows.some((row) => row.dataset === gate.dataset)) {
    return `no metrics for dataset '${gate.dataset}' (datasets: ${list(current.rows.map((row) => row.dataset))})`;
  }
  if (gate.evaluator !== undefined && !current.rows.some((row) => row.evaluator === gate.evaluator)) {
    return `no metrics from evaluator '${gate.evaluator}' (evaluators: ${list(current.rows.map((row) => row.evaluator))})`;
  }
  const scope = [gate.dataset !== undefined && `dataset '${gate.dataset}'`, gate.evaluator !== undefined && `evaluator '${gate.evaluator}'`]
    .filter(Boolean)
    .join(' and ');
  const metrics = list(inScope.flatMap((row) => Object.keys(row.metrics)));
  return `no row${scope ? ` of ${scope}` : ''} has metric '${gate.metric}' (metrics: ${metrics})`;
}

/**
 * Metrics come out of floating-point arithmetic and baseline thresholds are sums (0.85 - 0.02 is
 * 0.8299999999999998), so values within a relative 1e-9 count as equal: `>= baseline - 0.02`
 * passes at exactly 0.02 worse, as the user means it.
 */
function compare(actual: number, operator: GateOperator, expected: number): boolean {
  const tolerance = 1e-9 * Math.max(1, Math.abs(actual), Math.abs(expected));
  const equal = Math.abs(actual - expected) <= tolerance;
  switch (operator) {
    case '>=':
      return actual > expected || equal;
    case '>':
      return actual > expected && !equal;
    case '<=':
      return actual < expected || equal;
    case '<':
      return actual < expected && !equal;
    case '==':
      return equal;
    case '!=':
      return !equal;
  }
}

function comparisonReason(actual: number, operator: GateOperator, expected: number, passed: boolean): string {
  return `${formatMetric(actual)} ${passed ? '' : 'is not '}${operator} ${formatMetric(expected)}`;
}

export function allGatesPassed(results: readonly GateResult[]): boolean {
  return results.every((result) => result.passed);
}

/** Failed checks first, otherwise in evaluation order. */
export function failedFirst(results: readonly GateResult[]): GateResult[] {
  return [...results.filter((result) => !result.passed), ...results.filter((result) => result.passed)];
}

/** The gate results as a markdown table, failed checks first (step summary, StageFailure details, PR comment). */
export function gateResultsMarkdown(results: readonly GateResult[]): string {
  if (results.length === 0) return '_No gates._';
  const rows = failedFirst(results).map((result) => [
    result.passed ? '✅ pass' : '❌ fail',
    code(result.gate.text),
    result.row ? escapeMarkdownText(result.row.evaluator) : '',
    result.row ? escapeMarkdownText(result.row.dataset) : '',
    result.row ? escapeMarkdownText(variantLabel(result.row.variants)) : '',
    result.actual === undefined ? '' : formatMetric(result.actual),
    result.expected === undefined ? '' : formatMetric(result.expected),
    escapeMarkdownText(result.reason),
  ]);
  return markdownTable(['Result', 'Gate', 'Evaluator', 'Dataset', 'Variants', 'Actual', 'Expected', 'Reason'], rows);
}

/**
 * The stage's outcome when gates failed: a one-line message naming the first failure (with
 * where the gate was written), the table as details. Undefined when every check passed.
 */
export function gateFailure(results: readonly GateResult[]): StageFailure | undefined {
  const failed = results.filter((result) => !result.passed);
  if (failed.length === 0) return undefined;
  const first = failed[0]!;
  const subject = first.row ? ` (${first.row.evaluator} on ${first.row.dataset}, ${variantLabel(first.row.variants)})` : '';
  const gateName = `${first.gate.origin.label} '${first.gate.text}'`;
  const more = failed.length > 1 ? `; ${failed.length - 1} more failed` : '';
  return new StageFailure(
    `${failed.length} of ${results.length} gate checks failed: ${gateName}${subject}: ${first.reason}${more}`,
    gateResultsMarkdown(results),
  );
}
