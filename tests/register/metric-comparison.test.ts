/** only-if-better's comparison: direction from the gate operator, rows matched like a baseline. */
import { describe, expect, it } from 'vitest';
import { parseGate } from '../../packages/core/src/evaluate/gates.js';
import type { MetricsDocument, MetricsRow } from '../../packages/core/src/evaluate/metrics.js';
import {
  compareWithLatest,
  directionOf,
  worseMetricsFailure,
} from '../../packages/core/src/register/metric-comparison.js';

const gate = (text: string) => parseGate(text, { label: 'gates[0]' });

function document(...rows: Partial<MetricsRow>[]): MetricsDocument {
  return {
    schema: 'llmops/metrics@1',
    experiment: 'triage',
    rows: rows.map((row) => ({
      evaluator: 'accuracy',
      dataset: 'tickets',
      run: 'r',
      variants: {},
      metrics: {},
      ...row,
    })),
  };
}

describe('directionOf', () => {
  it('reads higher-is-better from >= and >, lower-is-better from <= and <, nothing from == and !=', () => {
    expect(['>=', '>', '<=', '<', '==', '!='].map((op) => directionOf(op as never))).toEqual([
      'higher',
      'higher',
      'lower',
      'lower',
      undefined,
      undefined,
    ]);
  });
});

describe('compareWithLatest', () => {
  it('finds a drop in a higher-is-better metric and a rise in a lower-is-better one', () => {
    const comparisons = compareWithLatest(
      [gate('accuracy >= 0.7'), gate('latency_ms < 2000')],
      document({ metrics: { accuracy: 0.75, latency_ms: 1200 } }),
      document({ metrics: { accuracy: 0.8, latency_ms: 1000 } }),
    );
    expect(comparisons.map((c) => [c.gate.metric, c.worse])).toEqual([
      ['accuracy', true],
      ['latency_ms', true],
    ]);
  });

  it('treats equal (within floating-point noise) and better as not worse', () => {
    const comparisons = compareWithLatest(
      [gate('accuracy >= 0.7'), gate('latency_ms <= 2000')],
      document({ metrics: { accuracy: 0.1 + 0.2, latency_ms: 900 } }),
      document({ metrics: { accuracy: 0.3, latency_ms: 1000 } }),
    );
    expect(comparisons.every((c) => !c.worse)).toBe(true);
  });

  it('ignores gates without a direction and rows outside the gate scope', () => {
    const comparisons = compareWithLatest(
      [gate('accuracy == 1'), gate('accuracy >= 0.7 on emails')],
      document({ metrics: { accuracy: 0.1 } }, { dataset: 'emails', metrics: { accuracy: 0.9 } }),
      document({ metrics: { accuracy: 0.9 } }, { dataset: 'emails', metrics: { accuracy: 0.9 } }),
    );
    expect(comparisons).toHaveLength(1);
    expect(comparisons[0]).toMatchObject({ worse: false, row: { dataset: 'emails' } });
  });

  it('counts a row the latest version had but the candidate lacks as worse; a new row is not', () => {
    const comparisons = compareWithLatest(
      [gate('accuracy >= 0.7')],
      document({ variants: { classify: 'variant_1' }, metrics: { accuracy: 0.9 } }),
      document({ variants: { classify: 'variant_0' }, metrics: { accuracy: 0.8 } }),
    );
    expect(comparisons.map((c) => [c.row.variants.classify, c.worse, c.reason.split(':')[0]])).toEqual([
      ['variant_1', false, 'new'],
      ['variant_0', true, 'missing'],
    ]);
    const failure = worseMetricsFailure(comparisons, { name: 'triage_pr', latestVersion: '3' })!;
    expect(failure.message).toBe(
      "only-if-better: refusing to register a new version of model triage_pr, nothing was registered: accuracy of 'accuracy >= 0.7' (accuracy on tickets, classify=variant_0) has no value in the new metrics (triage_pr:3 had 0.8)",
    );
    expect(failure.details).toContain(
      '| Result | Gate | Evaluator | Dataset | Variants | New | Latest (v3) | Reason |',
    );
  });

  it('is no failure when nothing is worse', () => {
    const comparisons = compareWithLatest(
      [gate('accuracy > 0')],
      document({ metrics: { accuracy: 1 } }),
      document({ metrics: { accuracy: 1 } }),
    );
    expect(worseMetricsFailure(comparisons, { name: 'm', latestVersion: '1' })).toBeUndefined();
  });
});
