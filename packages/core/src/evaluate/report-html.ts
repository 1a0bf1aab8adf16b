/**
 * The HTML report: one self-contained file a reviewer can open from a build artifact, offline.
 * No script, no external font, stylesheet or image: charts are inline SVG, styles inline, and
 * a Content-Security-Policy forbids loading anything should a name ever slip through.
 * Every piece of user text (metric, dataset, variant names, error messages) goes through
 * escapeHtml(); names come from experiment files anyone can change in a pull request.
 */
import { formatMetric } from './format.js';
import { failedFirst, type GateResult } from './gates.js';
import { BaselineIndex, groupMetricsRows, variantLabel, type MetricsGroup } from './metrics.js';
import { formatDuration, metricCell, truncateText, type EvaluationReport, type FailedLine, type RunSummary } from './report-model.js';

/** Failed lines shown per run and in all; the rest is counted, not shown. */
export const FAILED_LINES_PER_RUN = 20;
export const FAILED_LINES_TOTAL = 200;
/** Error messages longer than this are cut: a stack trace per line would drown the report. */
export const ERROR_MESSAGE_CHARACTERS = 1000;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values alike: quotes are escaped too, so no value can end its attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}

/** Markup built here, as opposed to text that still needs escaping. */
type Html = string;

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1f2328;max-width:1100px}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}h3{font-size:1rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.number{text-align:right;font-variant-numeric:tabular-nums}
.delta{color:#57606a;font-size:.85em;margin-left:.3em}.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}.warn{color:#9a6700;font-weight:600}
.meta{color:#57606a}.error{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:.85em}
.chart{display:inline-block;margin:0 1.5rem 1rem 0}.chart text{font-size:12px;fill:#1f2328}.chart .bar{fill:#0969da}
.chart .baseline{stroke:#cf222e;stroke-width:2}.chart .axis{stroke:#8c959f}
`.trim();

/** The report as one HTML document. Deterministic: same input, same bytes. */
export function renderHtmlReport(report: EvaluationReport): string {
  const { metrics } = report;
  const baseline = report.baseline && new BaselineIndex(report.baseline);
  const title = `Evaluation of ${metrics.experiment}${metrics.env ? ` (${metrics.env})` : ''}`;
  const groups = groupMetricsRows(metrics.rows);

  const meta = [
    `Experiment <strong>${escapeHtml(metrics.experiment)}</strong>`,
    metrics.env ? `environment <strong>${escapeHtml(metrics.env)}</strong>` : '',
    report.baseline
      ? `compared with the baseline of <strong>${escapeHtml(report.baseline.experiment)}</strong>${report.baseline.env ? ` (${escapeHtml(report.baseline.env)})` : ''}`
      : 'no baseline',
    report.generatedAt ? `generated ${escapeHtml(report.generatedAt)}` : '',
  ].filter(Boolean);

  const body: Html[] = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${meta.join(' · ')}</p>`,
    report.gates ? gatesSection(report.gates) : '',
    ...groups.map((group) => groupSection(group, baseline)),
    groups.length === 0 ? '<p>No metrics were recorded.</p>' : '',
    report.runs ? runsSection(report.runs) : '',
    report.failedLines ? failedLinesSection(report.failedLines) : '',
  ].filter(Boolean);

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function table(header: Html[], rows: Html[][]): Html {
  return [
    '<table>',
    `<thead><tr>${header.map((cell) => `<th>${cell}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((row) => `<tr>${row.join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');
}

const td = (content: Html, className?: string): Html => (className ? `<td class="${className}">${content}</td>` : `<td>${content}</td>`);

function gatesSection(results: readonly GateResult[]): Html {
  const failed = results.filter((result) => !result.passed).length;
  const verdict =
    results.length === 0
      ? '<p>No gates.</p>'
      : failed === 0
        ? `<p class="pass">All ${results.length} gate checks passed.</p>`
        : `<p class="fail">${failed} of ${results.length} gate checks failed.</p>`;
  const rows = failedFirst(results).map((result) => [
    td(result.passed ? 'pass' : 'fail', result.passed ? 'pass' : 'fail'),
    td(`<code>${escapeHtml(result.gate.text)}</code>`),
    td(result.row ? escapeHtml(result.row.evaluator) : ''),
    td(result.row ? escapeHtml(result.row.dataset) : ''),
    td(result.row ? escapeHtml(variantLabel(result.row.variants)) : ''),
    td(result.actual === undefined ? '' : formatMetric(result.actual), 'number'),
    td(result.expected === undefined ? '' : formatMetric(result.expected), 'number'),
    td(escapeHtml(result.reason)),
  ]);
  return [
    '<section id="gates">',
    '<h2>Gates</h2>',
    verdict,
    results.length === 0 ? '' : table(['Result', 'Gate', 'Evaluator', 'Dataset', 'Variants', 'Actual', 'Expected', 'Reason'], rows),
    '</section>',
  ]
    .filter(Boolean)
    .join('\n');
}

function groupSection(group: MetricsGroup, baseline: BaselineIndex | undefined): Html {
  const rows = group.rows.map((row) => [
    td(escapeHtml(variantLabel(row.variants))),
    td(escapeHtml(row.run)),
    ...group.metricNames.map((metric) => {
      const cell = metricCell(row, metric, baseline);
      return td(`${cell.value}${cell.delta ? `<span class="delta">(${escapeHtml(cell.delta)})</span>` : ''}`, 'number');
    }),
  ]);
  const evaluationDatasets = [...new Set(group.rows.map((row) => row.evaluationDataset).filter((name) => name !== undefined))];
  return [
    '<section>',
    `<h2>${escapeHtml(group.evaluator)} on ${escapeHtml(group.dataset)}</h2>`,
    evaluationDatasets.length > 0 ? `<p class="meta">Evaluation data: ${evaluationDatasets.map(escapeHtml).join(', ')}</p>` : '',
    table(['Variants', 'Run', ...group.metricNames.map(escapeHtml)], rows),
    ...group.metricNames.map((metric) => barChart(group, metric, baseline)),
    '</section>',
  ]
    .filter(Boolean)
    .join('\n');
}

const CHART = { labelWidth: 260, barWidth: 320, valueWidth: 120, rowHeight: 24, top: 28, labelCharacters: 34 } as const;

/** Coordinates rounded to 0.1 px: exact enough to draw, stable enough to compare in tests. */
const px = (value: number) => String(Number(value.toFixed(1)));

/**
 * Bar labels name only the nodes whose variant differs between the bars: with every node in the
 * label, truncation would leave several bars reading the same. The <title> keeps the full label.
 */
function distinguishingLabel(selections: readonly Record<string, string>[]): (variants: Record<string, string>) => string {
  const nodes = [...new Set(selections.flatMap((variants) => Object.keys(variants)))];
  const differing = nodes.filter((node) => new Set(selections.map((variants) => variants[node])).size > 1);
  if (differing.length === 0) return variantLabel;
  return (variants) => variantLabel(Object.fromEntries(differing.filter((node) => node in variants).map((node) => [node, variants[node]!])));
}

/**
 * One metric across the group's variants as horizontal bars (variant labels are long, so they
 * get their own column). The scale always includes 0, so bar lengths compare honestly; a red
 * tick marks each variant's baseline value when there is one.
 */
function barChart(group: MetricsGroup, metric: string, baseline: BaselineIndex | undefined): Html {
  const measured = group.rows.filter((row) => Object.hasOwn(row.metrics, metric));
  const shortLabel = distinguishingLabel(measured.map((row) => row.variants));
  const bars = measured.map((row) => ({
    label: variantLabel(row.variants),
    shortLabel: shortLabel(row.variants),
    value: row.metrics[metric]!,
    baseline: baseline?.valueFor(row, metric),
    row,
  }));
  const values = bars.flatMap((bar) => (bar.baseline === undefined ? [bar.value] : [bar.value, bar.baseline]));
  const low = Math.min(0, ...values);
  let high = Math.max(0, ...values);
  if (high === low) high = low + 1;
  const x = (value: number) => CHART.labelWidth + ((value - low) / (high - low)) * CHART.barWidth;
  const width = CHART.labelWidth + CHART.barWidth + CHART.valueWidth;
  const height = CHART.top + bars.length * CHART.rowHeight + 8;
  const zero = x(0);

  const rows = bars.map((bar, index) => {
    const y = CHART.top + index * CHART.rowHeight;
    const cell = metricCell(bar.row, metric, baseline);
    const valueText = `${cell.value}${cell.delta ? ` (${cell.delta})` : ''}`;
    return [
      '<g>',
      `<title>${escapeHtml(`${bar.label}: ${valueText}`)}</title>`,
      `<text x="${CHART.labelWidth - 8}" y="${px(y + 16)}" text-anchor="end">${escapeHtml(truncateText(bar.shortLabel, CHART.labelCharacters))}</text>`,
      `<rect class="bar" x="${px(Math.min(zero, x(bar.value)))}" y="${px(y + 4)}" width="${px(Math.abs(x(bar.value) - zero))}" height="${CHART.rowHeight - 8}"/>`,
      bar.baseline === undefined
        ? ''
        : `<line class="baseline" x1="${px(x(bar.baseline))}" x2="${px(x(bar.baseline))}" y1="${px(y + 1)}" y2="${px(y + CHART.rowHeight - 1)}"/>`,
      `<text x="${CHART.labelWidth + CHART.barWidth + 6}" y="${px(y + 16)}">${escapeHtml(valueText)}</text>`,
      '</g>',
    ]
      .filter(Boolean)
      .join('');
  });

  return [
    // The accessible name is a <title> child, not an aria-label: user text stays out of attributes.
    `<figure class="chart"><svg width="${width}" height="${px(height)}" viewBox="0 0 ${width} ${px(height)}" role="img">`,
    `<title>${escapeHtml(`${metric} by variant`)}</title>`,
    `<text x="0" y="16"><tspan font-weight="600">${escapeHtml(metric)}</tspan>${bars.some((bar) => bar.baseline !== undefined) ? ' (red tick: baseline)' : ''}</text>`,
    `<line class="axis" x1="${px(zero)}" x2="${px(zero)}" y1="${CHART.top - 2}" y2="${px(height - 6)}"/>`,
    ...rows,
    '</svg></figure>',
  ].join('\n');
}

function runsSection(runs: readonly RunSummary[]): Html {
  const rows = runs.map((run) => [
    td(escapeHtml(run.name)),
    td(escapeHtml(run.dataset)),
    td(escapeHtml(variantLabel(run.variants))),
    // promptflow says Completed even when lines failed: shown as a warning, not a success.
    td(escapeHtml(run.status), run.status !== 'Completed' ? 'fail' : run.lines.failed === 0 ? 'pass' : 'warn'),
    td(String(run.lines.total), 'number'),
    td(String(run.lines.completed), 'number'),
    td(String(run.lines.failed), 'number'),
    td(run.tokens ? `${run.tokens.total} <span class="delta">(${run.tokens.prompt} prompt, ${run.tokens.completion} completion)</span>` : '', 'number'),
    td(run.durationMs === undefined ? '' : formatDuration(run.durationMs), 'number'),
    td(run.firstError ? `<span class="error">${escapeHtml(truncateText(run.firstError, ERROR_MESSAGE_CHARACTERS))}</span>` : ''),
  ]);
  return [
    '<section id="runs">',
    '<h2>Runs</h2>',
    table(['Run', 'Dataset', 'Variants', 'Status', 'Lines', 'Completed', 'Failed', 'Tokens', 'Duration', 'First error'], rows),
    '</section>',
  ].join('\n');
}

/** Up to FAILED_LINES_PER_RUN lines of each run and FAILED_LINES_TOTAL in all, each error cut to ERROR_MESSAGE_CHARACTERS. */
function failedLinesSection(failedLines: readonly FailedLine[]): Html {
  if (failedLines.length === 0) return '';
  const byRun = new Map<string, FailedLine[]>();
  for (const line of failedLines) {
    const lines = byRun.get(line.run) ?? [];
    lines.push(line);
    byRun.set(line.run, lines);
  }
  const parts: Html[] = ['<section id="failed-lines">', `<h2>Failed lines (${failedLines.length})</h2>`];
  let shown = 0;
  for (const [run, lines] of byRun) {
    const room = Math.max(0, Math.min(FAILED_LINES_PER_RUN, FAILED_LINES_TOTAL - shown));
    const visible = [...lines].sort((a, b) => a.lineNumber - b.lineNumber).slice(0, room);
    shown += visible.length;
    parts.push(`<h3>${escapeHtml(run)}: ${lines.length} failed</h3>`);
    if (visible.length > 0) {
      parts.push(
        table(
          ['Line', 'Error'],
          visible.map((line) => [td(String(line.lineNumber), 'number'), td(`<span class="error">${escapeHtml(truncateText(line.error, ERROR_MESSAGE_CHARACTERS))}</span>`)]),
        ),
      );
    }
    if (visible.length < lines.length) {
      parts.push(`<p class="meta">${lines.length - visible.length} more failed lines of this run are not shown; the run's folder has them all.</p>`);
    }
  }
  parts.push('</section>');
  return parts.join('\n');
}
