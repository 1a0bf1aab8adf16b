/**
 * The metrics document: what the evaluate stage measured, one row per evaluator, experiment
 * dataset and run. It is the stage's `metrics` output, the input of gates and reports, and the
 * `baseline` a later evaluation compares itself with, so it is versioned and validated on read.
 */
import * as z from 'zod';
import { ConfigurationError } from '../errors.js';
import { parseTaggedDocument, readJsonFile } from '../json-document.js';

export const METRICS_SCHEMA = 'llmops/metrics@1';

const finiteNumber = z.number().refine(Number.isFinite, { message: 'expected a finite number' });

const metricsRowSchema = z.object({
  evaluator: z.string().min(1),
  /** The EXPERIMENT dataset the evaluated run used; gates' `on <dataset>` refers to it. */
  dataset: z.string().min(1),
  /** The evaluator's own dataset (reference data), when it differs from `dataset`. */
  evaluationDataset: z.string().optional(),
  /** promptflow's name of the evaluated (standard) run. */
  run: z.string(),
  /** The variant of every node that has variants; empty for flows without variants. */
  variants: z.record(z.string(), z.string()),
  metrics: z.record(z.string(), finiteNumber),
});

const metricsDocumentSchema = z.object({
  schema: z.literal(METRICS_SCHEMA),
  experiment: z.string(),
  env: z.string().optional(),
  rows: z.array(metricsRowSchema),
});

export type MetricsRow = z.infer<typeof metricsRowSchema>;
export type MetricsDocument = z.infer<typeof metricsDocumentSchema>;

/**
 * What makes two rows "the same measurement" across evaluations: evaluator, experiment dataset
 * and the variant selection. The run name is not part of it: it changes with every run.
 * Variants are compared as a set, whatever order the nodes were written in.
 */
export function metricsRowKey(row: Pick<MetricsRow, 'evaluator' | 'dataset' | 'variants'>): string {
  const variants = Object.entries(row.variants).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([row.evaluator, row.dataset, variants]);
}

/** `classify=variant_1, normalize=variant_0`: how a variant selection reads in reports. */
export function variantLabel(variants: Record<string, string>): string {
  const entries = Object.entries(variants);
  if (entries.length === 0) return 'default';
  return entries.map(([node, variant]) => `${node}=${variant}`).join(', ');
}

/** Rows of `baseline` by the key of the current row they correspond to. */
export class BaselineIndex {
  private readonly rowsByKey: Map<string, MetricsRow>;

  constructor(readonly document: MetricsDocument) {
    this.rowsByKey = new Map(document.rows.map((row) => [metricsRowKey(row), row]));
  }

  /** The baseline row measuring the same thing as `row`, if the baseline has one. */
  rowFor(row: MetricsRow): MetricsRow | undefined {
    return this.rowsByKey.get(metricsRowKey(row));
  }

  /** The baseline value of `metric` for `row`, if both the row and the metric are there. */
  valueFor(row: MetricsRow, metric: string): number | undefined {
    const baselineRow = this.rowFor(row);
    return baselineRow && Object.hasOwn(baselineRow.metrics, metric) ? baselineRow.metrics[metric] : undefined;
  }
}

/** Rows grouped by (evaluator, dataset), groups and rows in the order the document has them. */
export interface MetricsGroup {
  evaluator: string;
  dataset: string;
  rows: MetricsRow[];
  /** Every metric any row of the group has, in first-seen order. */
  metricNames: string[];
}

export function groupMetricsRows(rows: readonly MetricsRow[]): MetricsGroup[] {
  const groups = new Map<string, MetricsGroup>();
  for (const row of rows) {
    const key = JSON.stringify([row.evaluator, row.dataset]);
    let group = groups.get(key);
    if (!group) {
      group = { evaluator: row.evaluator, dataset: row.dataset, rows: [], metricNames: [] };
      groups.set(key, group);
    }
    group.rows.push(row);
    for (const metric of Object.keys(row.metrics)) {
      if (!group.metricNames.includes(metric)) group.metricNames.push(metric);
    }
  }
  return [...groups.values()];
}

/**
 * Validate a parsed metrics document. `file` names the source in the one-line error; rows that
 * measure the same thing twice are refused, since a comparison with them would be ambiguous.
 */
export function parseMetricsDocument(json: unknown, file: string): MetricsDocument {
  const document = parseTaggedDocument(json, file, { name: 'metrics file', schema: METRICS_SCHEMA, shape: metricsDocumentSchema });
  const seen = new Map<string, number>();
  document.rows.forEach((row, index) => {
    const key = metricsRowKey(row);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new ConfigurationError(
        `rows[${index}]: evaluator '${row.evaluator}', dataset '${row.dataset}' and variants '${variantLabel(row.variants)}' repeat rows[${earlier}]`,
        { file },
      );
    }
    seen.set(key, index);
  });
  return document;
}

/** Read a metrics JSON file (the `baseline` input); every problem is a one-line ConfigurationError naming it. */
export async function readMetricsDocument(file: string): Promise<MetricsDocument> {
  return parseMetricsDocument(await readJsonFile(file, 'metrics file'), file);
}

