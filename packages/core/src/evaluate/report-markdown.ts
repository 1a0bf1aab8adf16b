/**
 * The markdown summary: gates first (what decides the build), then per (evaluator, dataset) a
 * table of variants x metrics with deltas against the baseline, then the runs. Written to the
 * step summary and posted as the PR comment, so it is bounded: GitHub refuses comment bodies
 * over 65536 characters, and a truncated summary with a note beats a failed post.
 */
import { markdownTable } from '../markdown.js';
import { gateResultsMarkdown } from './gates.js';
import { escapeMarkdownText } from './markdown-text.js';
import { BaselineIndex, groupMetricsRows, variantLabel, type MetricsGroup } from './metrics.js';
import { formatDuration, metricCell, type EvaluationReport, type RunSummary } from './report-model.js';

/** GitHub's limit for an issue or PR comment body. */
export const GITHUB_COMMENT_MAX_CHARACTERS = 65536;
/** Default bound: GitHub's limit minus room for the hidden marker and a heading a caller may add. */
export const MARKDOWN_SUMMARY_MAX_CHARACTERS = GITHUB_COMMENT_MAX_CHARACTERS - 1536;

export interface MarkdownSummaryOptions {
  /** The summary never exceeds this many characters (UTF-16 code units, which over-count, never under). */
  maxCharacters?: number;
  /** Where the full report is, for the truncation note: e.g. "the HTML report in the 'evaluation' artifact". */
  fullReportHint?: string;
}

export function renderMarkdownSummary(report: EvaluationReport, options: MarkdownSummaryOptions = {}): string {
  const { metrics } = report;
  const baseline = report.baseline && new BaselineIndex(report.baseline);
  const heading = `## Evaluation of ${escapeMarkdownText(metrics.experiment)}${metrics.env ? ` (${escapeMarkdownText(metrics.env)})` : ''}`;
  const context = report.baseline
    ? `Deltas in parentheses are against the baseline of ${escapeMarkdownText(report.baseline.experiment)}${report.baseline.env ? ` (${escapeMarkdownText(report.baseline.env)})` : ''}; _new_ marks values the baseline does not have.`
    : '';

  const blocks: string[] = [[heading, context].filter(Boolean).join('\n\n')];
  if (report.gates) blocks.push(gatesBlock(report));
  const groups = groupMetricsRows(metrics.rows);
  if (groups.length === 0) blocks.push('No metrics were recorded.');
  for (const group of groups) blocks.push(groupBlock(group, baseline));
  if (report.runs && report.runs.length > 0) blocks.push(runsBlock(report.runs));

  return boundedJoin(blocks, options.maxCharacters ?? MARKDOWN_SUMMARY_MAX_CHARACTERS, options.fullReportHint ?? 'the HTML report');
}

function gatesBlock(report: EvaluationReport): string {
  const results = report.gates!;
  const failed = results.filter((result) => !result.passed).length;
  const verdict =
    results.length === 0 ? '' : failed === 0 ? `✅ all ${results.length} gate checks passed` : `❌ ${failed} of ${results.length} gate checks failed`;
  return [`### Gates${verdict ? `: ${verdict}` : ''}`, gateResultsMarkdown(results)].join('\n\n');
}

function groupBlock(group: MetricsGroup, baseline: BaselineIndex | undefined): string {
  const rows = group.rows.map((row) => [
    escapeMarkdownText(variantLabel(row.variants)),
    ...group.metricNames.map((metric) => {
      const cell = metricCell(row, metric, baseline);
      return cell.delta === undefined ? cell.value : `${cell.value} (${cell.delta === 'new' ? '_new_' : cell.delta})`;
    }),
  ]);
  return [
    `### ${escapeMarkdownText(group.evaluator)} on ${escapeMarkdownText(group.dataset)}`,
    markdownTable(['Variants', ...group.metricNames.map(escapeMarkdownText)], rows),
  ].join('\n\n');
}

function runsBlock(runs: readonly RunSummary[]): string {
  const rows = runs.map((run) => [
    escapeMarkdownText(run.name),
    escapeMarkdownText(run.dataset),
    escapeMarkdownText(variantLabel(run.variants)),
    `${runStatusIcon(run)} ${escapeMarkdownText(run.status)}`,
    `${run.lines.completed}/${run.lines.total}`,
    run.tokens ? String(run.tokens.total) : '',
    run.durationMs === undefined ? '' : formatDuration(run.durationMs),
  ]);
  return ['### Runs', markdownTable(['Run', 'Dataset', 'Variants', 'Status', 'Lines completed', 'Tokens', 'Duration'], rows)].join('\n\n');
}

/** promptflow says Completed even when lines failed (FIELD-NOTES): that is a warning, not a success. */
function runStatusIcon(run: RunSummary): string {
  if (run.status !== 'Completed') return '❌';
  return run.lines.failed === 0 ? '✅' : '⚠️';
}

const BLOCK_SEPARATOR = '\n\n';

/**
 * Join blocks while they fit in `maxCharacters`. The block that does not fit is cut at a line
 * boundary (a table cut between rows is still a table), and a note says what was left out.
 */
function boundedJoin(blocks: readonly string[], maxCharacters: number, fullReportHint: string): string {
  const whole = blocks.join(BLOCK_SEPARATOR);
  if (whole.length <= maxCharacters) return `${whole}\n`;

  const note = (omittedLines: number) =>
    `_Summary truncated to ${maxCharacters} characters: ${omittedLines} more lines are in ${escapeMarkdownText(fullReportHint)}._`;
  const allLines = whole.split('\n');
  // The note's length depends on the count it reports; reserving for the largest count is enough.
  const budget = maxCharacters - note(allLines.length).length - BLOCK_SEPARATOR.length - 1;
  let length = 0;
  let kept = 0;
  for (const line of allLines) {
    const added = (kept === 0 ? 0 : 1) + line.length;
    if (length + added > budget) break;
    length += added;
    kept += 1;
  }
  const keptText = allLines.slice(0, kept).join('\n').trimEnd();
  return `${keptText}${BLOCK_SEPARATOR}${note(allLines.length - kept)}\n`;
}
