import { describe, expect, it } from 'vitest';
import { ConfigurationError, StageFailure } from '@llmops/core/errors';
import {
  evaluateGates,
  gateFailure,
  gateResultsMarkdown,
  parseGate,
  parseGateList,
  parseGatesInput,
  type Gate,
} from '@llmops/core/evaluate/gates';
import { baseline, current, document, row } from './fixtures.js';

const origin = { label: 'gates[2]', location: { file: 'experiment.yaml', line: 31, column: 5 } };
const gate = (text: string) => parseGate(text, origin);

function parseError(text: string): string {
  try {
    gate(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return String(error);
  }
  throw new Error(`'${text}' parsed`);
}

describe('parseGate', () => {
  it.each([
    ['accuracy >= 0.8', { metric: 'accuracy', operator: '>=', threshold: { kind: 'value', value: 0.8 } }],
    ['accuracy>0.8', { metric: 'accuracy', operator: '>', threshold: { kind: 'value', value: 0.8 } }],
    ['latency_ms <= 1200', { metric: 'latency_ms', operator: '<=', threshold: { kind: 'value', value: 1200 } }],
    ['error_rate < .05', { metric: 'error_rate', operator: '<', threshold: { kind: 'value', value: 0.05 } }],
    ['delta == -1e-3', { metric: 'delta', operator: '==', threshold: { kind: 'value', value: -0.001 } }],
    ['failures != 3', { metric: 'failures', operator: '!=', threshold: { kind: 'value', value: 3 } }],
    ['exact_match_rate >= 0.7 on tickets', { metric: 'exact_match_rate', dataset: 'tickets', threshold: { kind: 'value', value: 0.7 } }],
    ['accuracy >= baseline', { threshold: { kind: 'baseline', offset: 0 } }],
    ['accuracy >= baseline - 0.02', { threshold: { kind: 'baseline', offset: -0.02 } }],
    ['accuracy >= baseline-0.02', { threshold: { kind: 'baseline', offset: -0.02 } }],
    ['cost <= baseline + 0.5 on emails', { metric: 'cost', operator: '<=', dataset: 'emails', threshold: { kind: 'baseline', offset: 0.5 } }],
    ['  match_rate >= 0.5 for entity_eval on tickets  ', { metric: 'match_rate', evaluator: 'entity_eval', dataset: 'tickets', text: 'match_rate >= 0.5 for entity_eval on tickets' }],
    ['gpt.coherence >= 4', { metric: 'gpt.coherence', threshold: { kind: 'value', value: 4 } }],
    ['accuracy >=\n  0.8', { text: 'accuracy >= 0.8', threshold: { kind: 'value', value: 0.8 } }],
  ])('%s', (text, expected) => {
    expect(gate(text)).toMatchObject({ origin, ...expected });
  });

  it.each([
    ['accuracy >> 0.8', "experiment.yaml:31:5: gates[2]: 'accuracy >> 0.8' is not a gate: unknown operator '>>' (use >=, >, <=, <, ==, !=)"],
    ['accuracy = 0.8', "experiment.yaml:31:5: gates[2]: 'accuracy = 0.8' is not a gate: unknown operator '=' (use >=, >, <=, <, ==, !=)"],
    ['accuracy 0.8', "experiment.yaml:31:5: gates[2]: 'accuracy 0.8' is not a gate; expected '<metric> <op> <value> [on <dataset>] [for <evaluator>]'"],
    ['>= 0.8', "experiment.yaml:31:5: gates[2]: '>= 0.8' is not a gate; expected '<metric> <op> <value> [on <dataset>] [for <evaluator>]'"],
    ['', "experiment.yaml:31:5: gates[2]: '' is not a gate; expected '<metric> <op> <value> [on <dataset>] [for <evaluator>]'"],
    ['accuracy >= high', "experiment.yaml:31:5: gates[2]: 'accuracy >= high' is not a gate: expected a number, 'baseline', 'baseline - <number>' or 'baseline + <number>' after '>=', found 'high'"],
    ['accuracy >=', "experiment.yaml:31:5: gates[2]: 'accuracy >=' is not a gate: expected a number, 'baseline', 'baseline - <number>' or 'baseline + <number>' after '>=', found nothing"],
    ['accuracy >= 80%', "experiment.yaml:31:5: gates[2]: 'accuracy >= 80%' is not a gate: expected a number, 'baseline', 'baseline - <number>' or 'baseline + <number>' after '>=', found '80%'"],
    ['accuracy >= baseline * 0.9', "experiment.yaml:31:5: gates[2]: 'accuracy >= baseline * 0.9' is not a gate: unexpected '*' after the value; expected '<metric> <op> <value> [on <dataset>] [for <evaluator>]'"],
    ['accuracy >= 0.8 in tickets', "experiment.yaml:31:5: gates[2]: 'accuracy >= 0.8 in tickets' is not a gate: unexpected 'in' after the value; expected '<metric> <op> <value> [on <dataset>] [for <evaluator>]'"],
    ['accuracy >= 0.8 on', "experiment.yaml:31:5: gates[2]: 'accuracy >= 0.8 on' is not a gate: 'on' needs a dataset name"],
    ['accuracy >= 0.8 for', "experiment.yaml:31:5: gates[2]: 'accuracy >= 0.8 for' is not a gate: 'for' needs an evaluator name"],
    ['accuracy >= 0.8 on a on b', "experiment.yaml:31:5: gates[2]: 'accuracy >= 0.8 on a on b' is not a gate: 'on' is given twice"],
    ['accuracy >= 1e999', "experiment.yaml:31:5: gates[2]: 'accuracy >= 1e999' is not a gate: the number is out of range"],
  ])('rejects %j', (text, message) => {
    const shown = parseError(text);
    expect(shown).toBe(message);
    expect(shown).not.toContain('\n');
  });

  it('labels experiment.yaml entries by index and keeps each location', () => {
    const gates = parseGateList([
      { text: 'accuracy >= 0.8', location: { file: 'experiment.yaml', line: 30, column: 5 } },
      { text: 'f1 >= 0.5', location: { file: 'experiment.yaml', line: 31, column: 5 } },
    ]);
    expect(gates.map((g) => g.origin)).toEqual([
      { label: 'gates[0]', location: { file: 'experiment.yaml', line: 30, column: 5 } },
      { label: 'gates[1]', location: { file: 'experiment.yaml', line: 31, column: 5 } },
    ]);
    expect(() =>
      parseGateList([
        { text: 'accuracy >= 0.8', location: { file: 'experiment.yaml', line: 30, column: 5 } },
        { text: 'accuracy >> 0.8', location: { file: 'experiment.yaml', line: 31, column: 5 } },
      ]),
    ).toThrow(expect.objectContaining({ location: { file: 'experiment.yaml', line: 31, column: 5 }, message: expect.stringMatching(/^gates\[1\]: /) }));
  });

  it('reads the gates input one per line, skipping blank lines and # comments, counting lines from 1', () => {
    const gates = parseGatesInput('# quality\naccuracy >= 0.8\n\n   \n  # per dataset\r\nexact_match_rate >= 0.7 on tickets\n');
    expect(gates.map((g) => [g.text, g.origin.label])).toEqual([
      ['accuracy >= 0.8', "input 'gates' line 2"],
      ['exact_match_rate >= 0.7 on tickets', "input 'gates' line 6"],
    ]);
    expect(() => parseGatesInput('accuracy >= 0.8\naccuracy => 0.8')).toThrow(
      "input 'gates' line 2: 'accuracy => 0.8' is not a gate: unknown operator '=>' (use >=, >, <=, <, ==, !=)",
    );
  });
});

const summary = (results: ReturnType<typeof evaluateGates>) =>
  results.map((r) => [r.gate.text, r.row ? `${r.row.evaluator}/${r.row.dataset}/${r.row.variants.summarize}` : '-', r.passed, r.reason]);

describe('evaluateGates', () => {
  it('checks a gate against every row that has the metric, across evaluators and datasets', () => {
    const results = evaluateGates([gate('accuracy >= 0.8')], current);
    expect(summary(results)).toEqual([
      ['accuracy >= 0.8', 'accuracy_eval/tickets/variant_0', true, '0.85 >= 0.8'],
      ['accuracy >= 0.8', 'accuracy_eval/tickets/variant_1', false, '0.78 is not >= 0.8'],
      ['accuracy >= 0.8', 'accuracy_eval/emails/variant_0', true, '0.9 >= 0.8'],
      ['accuracy >= 0.8', 'accuracy_eval/emails/variant_1', true, '0.81 >= 0.8'],
    ]);
    expect(results[1]).toMatchObject({ actual: 0.78, expected: 0.8, passed: false });
  });

  it('restricts a gate to a dataset with `on` and to an evaluator with `for`', () => {
    expect(summary(evaluateGates([gate('exact_match_rate >= 0.7 on emails')], current)).map((r) => r[1])).toEqual([
      'accuracy_eval/emails/variant_0',
      'accuracy_eval/emails/variant_1',
    ]);
    expect(summary(evaluateGates([gate('match_rate >= 0.5 for entity_eval on tickets')], current))).toEqual([
      ['match_rate >= 0.5 for entity_eval on tickets', 'entity_eval/tickets/variant_0', true, '0.5 >= 0.5'],
    ]);
  });

  it('fails a gate naming a metric no row has, listing the metrics there are', () => {
    expect(summary(evaluateGates([gate('acuracy >= 0.8')], current))).toEqual([
      ['acuracy >= 0.8', '-', false, "no row has metric 'acuracy' (metrics: 'accuracy', 'exact_match_rate', 'match_rate')"],
    ]);
    expect(evaluateGates([gate('match_rate >= 0.1 on emails')], current)[0]!.reason).toBe(
      "no row of dataset 'emails' has metric 'match_rate' (metrics: 'accuracy', 'exact_match_rate')",
    );
  });

  it('fails a gate whose dataset or evaluator matches nothing, naming the ones there are', () => {
    expect(evaluateGates([gate('accuracy >= 0.8 on ticket')], current)[0]).toMatchObject({
      passed: false,
      reason: "no metrics for dataset 'ticket' (datasets: 'tickets', 'emails')",
    });
    expect(evaluateGates([gate('accuracy >= 0.8 for acc')], current)[0]!.reason).toBe(
      "no metrics from evaluator 'acc' (evaluators: 'accuracy_eval', 'entity_eval')",
    );
  });

  it('compares with the matching baseline row plus the offset', () => {
    const results = evaluateGates([gate('accuracy >= baseline - 0.02')], current, baseline);
    expect(summary(results)).toEqual([
      ['accuracy >= baseline - 0.02', 'accuracy_eval/tickets/variant_0', true, '0.85 >= 0.78 (baseline 0.8 - 0.02; change +0.05)'],
      // Exactly 0.02 worse than the baseline passes, despite 0.8 - 0.02 = 0.7799999999999999.
      ['accuracy >= baseline - 0.02', 'accuracy_eval/tickets/variant_1', true, '0.78 >= 0.78 (baseline 0.8 - 0.02; change -0.02)'],
      ['accuracy >= baseline - 0.02', 'accuracy_eval/emails/variant_0', false, '0.9 is not >= 0.93 (baseline 0.95 - 0.02; change -0.05)'],
      ['accuracy >= baseline - 0.02', 'accuracy_eval/emails/variant_1', false, 'the baseline has no row for this evaluator, dataset and variants'],
    ]);
    expect(results[0]).toMatchObject({ actual: 0.85, baseline: 0.8 });
    expect(results[0]!.expected).toBeCloseTo(0.78, 12);
  });

  it('fails when the baseline row lacks the metric', () => {
    const results = evaluateGates([gate('exact_match_rate >= baseline on emails')], current, baseline);
    expect(results.map((r) => [r.passed, r.reason])).toEqual([
      [false, "the baseline row has no metric 'exact_match_rate'"],
      [false, 'the baseline has no row for this evaluator, dataset and variants'],
    ]);
  });

  it('matches baseline rows by evaluator, dataset and variants, not by run name or node order', () => {
    const now = document([row({ run: 'new', variants: { a: 'v1', b: 'v0' }, metrics: { accuracy: 0.5 } })]);
    const before = document([row({ run: 'old', variants: { b: 'v0', a: 'v1' }, metrics: { accuracy: 0.5 } })]);
    expect(evaluateGates([gate('accuracy == baseline')], now, before)[0]!.passed).toBe(true);
  });

  it('refuses a baseline gate without a baseline, at the gate’s location', () => {
    expect(() => evaluateGates([gate('accuracy >= 0.1'), gate('accuracy >= baseline - 0.02')], current)).toThrow(
      expect.objectContaining({
        name: 'ConfigurationError',
        location: origin.location,
        message: "gates[2]: 'accuracy >= baseline - 0.02' compares with the baseline, but no baseline metrics were given (set the 'baseline' input)",
      }),
    );
  });

  it('treats values within floating-point noise as equal for every operator', () => {
    const noisy = document([row({ metrics: { m: 0.1 + 0.2 } })]);
    const check = (text: string) => evaluateGates([gate(text)], noisy)[0]!.passed;
    expect([check('m == 0.3'), check('m >= 0.3'), check('m <= 0.3'), check('m > 0.3'), check('m < 0.3'), check('m != 0.3')]).toEqual([
      true, true, true, false, false, false,
    ]);
  });
});

describe('gate reporting', () => {
  const results = evaluateGates([gate('accuracy >= 0.8 on tickets'), gate('missing >= 1')], current);

  it('tables failed checks first and escapes user names', () => {
    const table = gateResultsMarkdown(results);
    const lines = table.split('\n');
    expect(lines[0]).toBe('| Result | Gate | Evaluator | Dataset | Variants | Actual | Expected | Reason |');
    expect(lines[2]).toBe("| ❌ fail | `accuracy >= 0.8 on tickets` | accuracy\\_eval | tickets | summarize=variant\\_1 | 0.78 | 0.8 | 0.78 is not >= 0.8 |");
    expect(lines[3]).toMatch(/^\| ❌ fail \| `missing >= 1` \| {2}\| {2}\| {2}\| {2}\| {2}\| no row has metric 'missing'/);
    expect(lines[4]).toMatch(/^\| ✅ pass \|/);
    const hostile = document([row({ dataset: '<img src=x onerror=alert(1)>', metrics: { accuracy: 1 } })]);
    expect(gateResultsMarkdown(evaluateGates([gate('accuracy >= 0.8')], hostile))).toContain('&lt;img src=x onerror=alert(1)>');
  });

  it('makes a one-line StageFailure with the table as details, or nothing when all passed', () => {
    const failure = gateFailure(results);
    expect(failure).toBeInstanceOf(StageFailure);
    expect(failure!.message).toBe(
      "2 of 3 gate checks failed: gates[2] 'accuracy >= 0.8 on tickets' (accuracy_eval on tickets, summarize=variant_1): 0.78 is not >= 0.8; 1 more failed",
    );
    expect(failure!.details).toBe(gateResultsMarkdown(results));
    const passing: Gate[] = [gate('accuracy >= 0.5')];
    expect(gateFailure(evaluateGates(passing, current))).toBeUndefined();
  });
});
