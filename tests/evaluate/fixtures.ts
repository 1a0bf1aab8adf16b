import type { MetricsDocument, MetricsRow } from '@llmops/core/evaluate/metrics';

export function row(partial: Partial<MetricsRow> & Pick<MetricsRow, 'metrics'>): MetricsRow {
  return {
    evaluator: 'accuracy_eval',
    dataset: 'tickets',
    run: 'web_classification_variant_0_tickets',
    variants: { summarize: 'variant_0' },
    ...partial,
  };
}

export function document(rows: MetricsRow[], extra: Partial<MetricsDocument> = {}): MetricsDocument {
  return { schema: 'llmops/metrics@1', experiment: 'web_classification', rows, ...extra };
}

/** Two variants on two datasets, one evaluator; a second evaluator on one dataset. */
export const current = document([
  row({ variants: { summarize: 'variant_0' }, run: 'r0_tickets', metrics: { accuracy: 0.85, exact_match_rate: 0.72 } }),
  row({ variants: { summarize: 'variant_1' }, run: 'r1_tickets', metrics: { accuracy: 0.78, exact_match_rate: 0.66 } }),
  row({ dataset: 'emails', variants: { summarize: 'variant_0' }, run: 'r0_emails', metrics: { accuracy: 0.9, exact_match_rate: 0.8 } }),
  row({ dataset: 'emails', variants: { summarize: 'variant_1' }, run: 'r1_emails', metrics: { accuracy: 0.81, exact_match_rate: 0.75 } }),
  row({ evaluator: 'entity_eval', variants: { summarize: 'variant_0' }, run: 'r0_tickets', metrics: { match_rate: 0.5 } }),
]);

export const baseline = document([
  row({ variants: { summarize: 'variant_0' }, run: 'old0', metrics: { accuracy: 0.8, exact_match_rate: 0.7 } }),
  row({ variants: { summarize: 'variant_1' }, run: 'old1', metrics: { accuracy: 0.8, exact_match_rate: 0.7 } }),
  row({ dataset: 'emails', variants: { summarize: 'variant_0' }, run: 'old2', metrics: { accuracy: 0.95 } }),
]);
