import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  csvField,
  encodeNameForFile,
  evaluatorDatasetKey,
  metricsCsvFiles,
  reportFileNames,
  toCsv,
} from '@llmops/core/evaluate/report-csv';
import { document, row } from './fixtures.js';

const TRICKY_PAIRS = [
  { evaluator: 'a__b', dataset: 'c' },
  { evaluator: 'a', dataset: 'b__c' },
  { evaluator: 'a_', dataset: '_b' },
  { evaluator: 'a', dataset: '__b' },
  { evaluator: 'a___', dataset: 'b' },
  { evaluator: 'a%5F', dataset: 'b' },
  { evaluator: 'a_b', dataset: 'c' },
  { evaluator: 'a', dataset: 'b_c' },
  { evaluator: 'eval/accuracy', dataset: 'data/tickets.jsonl' },
  { evaluator: 'eval\\accuracy', dataset: 'data:tickets' },
  { evaluator: 'eval%2Faccuracy', dataset: 'data/tickets.jsonl' },
  { evaluator: '..', dataset: '.' },
  { evaluator: '.hidden', dataset: 'x' },
  { evaluator: 'Accuracy', dataset: 'Tickets' },
  { evaluator: 'accuracy', dataset: 'tickets' },
  { evaluator: 'données', dataset: 'café' },
  // The same text in NFD: a different string, one file on macOS.
  { evaluator: 'données', dataset: 'cafe\u0301' },
  { evaluator: '評価', dataset: 'データ' },
  { evaluator: 'emoji 🚀', dataset: 'a b' },
  { evaluator: 'CON', dataset: 'x' },
  { evaluator: 'nul.eval', dataset: 'x' },
  { evaluator: 'x'.repeat(300), dataset: 'y' },
  { evaluator: 'x'.repeat(300), dataset: 'z' },
  { evaluator: 'metrics', dataset: '' },
];

describe('CSV file names', () => {
  it('encodes names readably where it can and escapes the separator', () => {
    expect(encodeNameForFile('accuracy_eval')).toBe('accuracy_eval');
    expect(encodeNameForFile('a__b')).toBe('a%5F%5Fb');
    expect(encodeNameForFile('_a_')).toBe('%5Fa%5F');
    expect(encodeNameForFile('eval/accuracy v2')).toBe('eval%2Faccuracy%20v2');
    expect(encodeNameForFile('.hidden')).toBe('%2Ehidden');
    expect(encodeNameForFile('données')).toBe('données');
    expect(encodeNameForFile('100%')).toBe('100%25');
    expect(encodeNameForFile('con.x')).toBe('%63on.x');
  });

  it('never gives two pairs the same file, even on case- and normalization-insensitive file systems', () => {
    const names = reportFileNames(TRICKY_PAIRS);
    expect(names.size).toBe(TRICKY_PAIRS.length);
    const folded = [...names.values()].map((name) => name.normalize('NFC').toLowerCase());
    expect(new Set(folded).size).toBe(TRICKY_PAIRS.length);
    expect(folded).not.toContain('metrics.csv');
    for (const name of names.values()) {
      expect(name).toMatch(/\.csv$/);
      expect(name).not.toMatch(/[/\\:*?"<>|\x00-\x1f]/);
      expect(name).not.toMatch(/^\./);
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    }
    expect(names.get(evaluatorDatasetKey({ evaluator: 'a__b', dataset: 'c' }))).toBe('a%5F%5Fb__c.csv');
    expect(names.get(evaluatorDatasetKey({ evaluator: 'a', dataset: 'b__c' }))).toBe('a__b%5F%5Fc.csv');
    expect(names.get(evaluatorDatasetKey({ evaluator: 'a_b', dataset: 'c' }))).toBe('a_b__c.csv');
    expect(names.get(evaluatorDatasetKey({ evaluator: '評価', dataset: 'データ' }))).toBe('評価__データ.csv');
    // Case twins both get a hash suffix; neither keeps the plain name.
    expect(names.get(evaluatorDatasetKey({ evaluator: 'accuracy', dataset: 'tickets' }))).toMatch(/^accuracy__tickets~[0-9a-f]{12}\.csv$/);
    expect(names.get(evaluatorDatasetKey({ evaluator: 'Accuracy', dataset: 'Tickets' }))).toMatch(/^Accuracy__Tickets~[0-9a-f]{12}\.csv$/);
  });

  it('keeps plain names when nothing clashes, independent of which other pairs exist', () => {
    const alone = reportFileNames([{ evaluator: 'accuracy', dataset: 'tickets' }]);
    expect([...alone.values()]).toEqual(['accuracy__tickets.csv']);
  });

  it('writes every tricky pair to its own file on this file system', async () => {
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'llmops-csv-'));
    try {
      const rows = TRICKY_PAIRS.filter((pair) => pair.dataset !== '').map((pair, index) => row({ ...pair, metrics: { index } }));
      const files = metricsCsvFiles(document(rows));
      for (const file of files) await fs.writeFile(path.join(folder, file.name), file.content, { flag: 'wx' });
      expect((await fs.readdir(folder)).length).toBe(rows.length + 1);
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
    }
  });
});

describe('CSV content', () => {
  it('quotes per RFC 4180 and defuses spreadsheet formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField('-1')).toBe("'-1");
    expect(csvField(-1)).toBe('-1');
    expect(csvField(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(csvField(undefined)).toBe('');
    expect(toCsv(['a', 'b'], [[1, 'x,y']])).toBe('a,b\r\n1,"x,y"\r\n');
  });

  it('writes one file per evaluator and dataset plus metrics.csv with every row', () => {
    const metrics = document([
      row({ run: 'r0', variants: { classify: 'variant_0', summarize: 'variant_0' }, metrics: { accuracy: 0.8, 'f1, macro': 0.5 } }),
      row({ run: 'r1', variants: { classify: 'variant_1', summarize: 'variant_0' }, metrics: { accuracy: 0.9 } }),
      row({ dataset: 'emails', evaluationDataset: 'emails_ref', run: 'r2', variants: { classify: 'variant_0', summarize: 'variant_0' }, metrics: { accuracy: 0.7 } }),
      row({ evaluator: 'entity_eval', run: 'r0', variants: { classify: 'variant_0', summarize: 'variant_0' }, metrics: { match_rate: 1 } }),
    ]);
    const files = metricsCsvFiles(metrics);
    expect(files.map((file) => [file.name, file.evaluator, file.dataset])).toEqual([
      ['accuracy_eval__tickets.csv', 'accuracy_eval', 'tickets'],
      ['accuracy_eval__emails.csv', 'accuracy_eval', 'emails'],
      ['entity_eval__tickets.csv', 'entity_eval', 'tickets'],
      ['metrics.csv', undefined, undefined],
    ]);
    expect(files[0]!.content).toBe(
      'run,variant:classify,variant:summarize,accuracy,"f1, macro"\r\nr0,variant_0,variant_0,0.8,0.5\r\nr1,variant_1,variant_0,0.9,\r\n',
    );
    expect(files[3]!.content.split('\r\n')).toEqual([
      'evaluator,dataset,evaluation_dataset,run,variant:classify,variant:summarize,accuracy,"f1, macro",match_rate',
      'accuracy_eval,tickets,,r0,variant_0,variant_0,0.8,0.5,',
      'accuracy_eval,tickets,,r1,variant_1,variant_0,0.9,,',
      'accuracy_eval,emails,emails_ref,r2,variant_0,variant_0,0.7,,',
      'entity_eval,tickets,,r0,variant_0,variant_0,,,1',
      '',
    ]);
  });
});
