/**
 * The metrics document: what the evaluate stage measured, one row per evaluator, experiment
 * dataset and run. It is the stage's `metrics` output, the input of gates and reports, and the
 * `baseline` a later evaluation compares itself with, so it is versioned and validated on read.
 */
import fs from 'node:fs/promises';
import * as z from 'zod';
import { ConfigurationError } from '../errors.js';

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
  const schema = (json as { schema?: unknown } | null)?.schema;
  if (schema !== METRICS_SCHEMA) {
    throw new ConfigurationError(
      `not a metrics file of schema ${METRICS_SCHEMA} (found schema ${JSON.stringify(schema) ?? 'none'})`,
      { file },
    );
  }
  const parsed = metricsDocumentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigurationError(`${formatIssuePath(issue.path)}: ${issue.message}`, { file });
  }
  const seen = new Map<string, number>();
  parsed.data.rows.forEach((row, index) => {
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
  return parsed.data;
}

/** Read a metrics JSON file (the `baseline` input); every problem is a one-line ConfigurationError naming it. */
export async function readMetricsDocument(file: string): Promise<MetricsDocument> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `cannot be read (${(error as Error).message})`;
    throw new ConfigurationError(`metrics file ${reason}`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`not JSON: ${(error as Error).message.split('\n')[0]}`, { file });
  }
  return parseMetricsDocument(json, file);
}

function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text || '(root)';
}
