import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaselineIndex, groupMetricsRows, metricsRowKey, readMetricsDocument, variantLabel } from '@llmops/core/evaluate/metrics';
import { baseline, current, document, row } from './fixtures.js';

let folder: string;
beforeAll(async () => {
  folder = await fs.mkdtemp(path.join(os.tmpdir(), 'llmops-metrics-'));
});
afterAll(async () => {
  await fs.rm(folder, { recursive: true, force: true });
});

async function readWritten(content: string): Promise<string> {
  const file = path.join(folder, 'baseline.json');
  await fs.writeFile(file, content);
  try {
    await readMetricsDocument(file);
  } catch (error) {
    return String(error).replace(folder, '<dir>');
  }
  return 'ok';
}

describe('readMetricsDocument', () => {
  it('reads a valid document', async () => {
    const file = path.join(folder, 'good.json');
    await fs.writeFile(file, JSON.stringify(current));
    expect(await readMetricsDocument(file)).toEqual(current);
  });

  it.each([
    ['{', /^<dir>\/baseline\.json: not JSON: /],
    ['[]', /^<dir>\/baseline\.json: not a metrics file of schema llmops\/metrics@1 \(found schema none\)$/],
    ['{"schema":"llmops/runs@1"}', /^<dir>\/baseline\.json: not a metrics file of schema llmops\/metrics@1 \(found schema "llmops\/runs@1"\)$/],
    [JSON.stringify({ ...current, rows: [{ ...current.rows[0], metrics: { accuracy: 'high' } }] }), /^<dir>\/baseline\.json: rows\[0\]\.metrics\.accuracy: /],
    [JSON.stringify({ ...current, rows: [{ ...current.rows[0], evaluator: undefined }] }), /^<dir>\/baseline\.json: rows\[0\]\.evaluator: /],
    [
      JSON.stringify(document([row({ metrics: { a: 1 } }), row({ run: 'other', metrics: { a: 2 } })])),
      /^<dir>\/baseline\.json: rows\[1\]: evaluator 'accuracy_eval', dataset 'tickets' and variants 'summarize=variant_0' repeat rows\[0\]$/,
    ],
  ])('refuses %s in one line naming the file', async (content, message) => {
    const shown = await readWritten(content);
    expect(shown).toMatch(message);
    expect(shown).not.toContain('\n');
  });

  it('names a missing file', async () => {
    await expect(readMetricsDocument(path.join(folder, 'nope.json'))).rejects.toThrow(
      expect.objectContaining({ name: 'ConfigurationError', message: 'metrics file not found', location: { file: path.join(folder, 'nope.json') } }),
    );
  });
});

describe('matching rows', () => {
  it('keys rows by evaluator, dataset and variants regardless of node order and run name', () => {
    expect(metricsRowKey(row({ run: 'a', variants: { x: '1', y: '2' }, metrics: {} }))).toBe(
      metricsRowKey(row({ run: 'b', variants: { y: '2', x: '1' }, metrics: {} })),
    );
    expect(metricsRowKey(row({ dataset: 'a', metrics: {} }))).not.toBe(metricsRowKey(row({ dataset: 'b', metrics: {} })));
    // Names with the key's own punctuation cannot run into each other.
    expect(metricsRowKey(row({ evaluator: 'a","b', dataset: 'c', metrics: {} }))).not.toBe(
      metricsRowKey(row({ evaluator: 'a', dataset: 'b","c', metrics: {} })),
    );
  });

  it('finds the baseline value of a current row', () => {
    const index = new BaselineIndex(baseline);
    expect(index.valueFor(current.rows[0]!, 'accuracy')).toBe(0.8);
    expect(index.valueFor(current.rows[2]!, 'exact_match_rate')).toBeUndefined();
    expect(index.rowFor(current.rows[3]!)).toBeUndefined();
  });

  it('groups rows by evaluator and dataset in document order', () => {
    expect(groupMetricsRows(current.rows).map((group) => [group.evaluator, group.dataset, group.rows.length, group.metricNames])).toEqual([
      ['accuracy_eval', 'tickets', 2, ['accuracy', 'exact_match_rate']],
      ['accuracy_eval', 'emails', 2, ['accuracy', 'exact_match_rate']],
      ['entity_eval', 'tickets', 1, ['match_rate']],
    ]);
    expect(variantLabel({ classify: 'variant_1', normalize: 'variant_0' })).toBe('classify=variant_1, normalize=variant_0');
    expect(variantLabel({})).toBe('default');
  });
});
