import { describe, expect, it } from 'vitest';
import { evaluateGates, parseGatesInput } from '@llmops/core/evaluate/gates';
import { GITHUB_COMMENT_MAX_CHARACTERS, renderMarkdownSummary } from '@llmops/core/evaluate/report-markdown';
import { baseline, current, document, row } from './fixtures.js';

describe('renderMarkdownSummary', () => {
  it('puts gates first, then variants x metrics per evaluator and dataset with deltas', () => {
    const gates = evaluateGates(parseGatesInput('accuracy >= 0.8 on tickets'), current, baseline);
    const markdown = renderMarkdownSummary({ metrics: current, baseline, gates });
    expect(markdown).toBe(
      [
        '## Evaluation of web\\_classification',
        '',
        'Deltas in parentheses are against the baseline of web\\_classification; _new_ marks values the baseline does not have.',
        '',
        '### Gates: ❌ 1 of 2 gate checks failed',
        '',
        '| Result | Gate | Evaluator | Dataset | Variants | Actual | Expected | Reason |',
        '| --- | --- | --- | --- | --- | --- | --- | --- |',
        '| ❌ fail | `accuracy >= 0.8 on tickets` | accuracy\\_eval | tickets | summarize=variant\\_1 | 0.78 | 0.8 | 0.78 is not >= 0.8 |',
        '| ✅ pass | `accuracy >= 0.8 on tickets` | accuracy\\_eval | tickets | summarize=variant\\_0 | 0.85 | 0.8 | 0.85 >= 0.8 |',
        '',
        '### accuracy\\_eval on tickets',
        '',
        '| Variants | accuracy | exact\\_match\\_rate |',
        '| --- | --- | --- |',
        '| summarize=variant\\_0 | 0.85 (+0.05) | 0.72 (+0.02) |',
        '| summarize=variant\\_1 | 0.78 (-0.02) | 0.66 (-0.04) |',
        '',
        '### accuracy\\_eval on emails',
        '',
        '| Variants | accuracy | exact\\_match\\_rate |',
        '| --- | --- | --- |',
        '| summarize=variant\\_0 | 0.9 (-0.05) | 0.8 (_new_) |',
        '| summarize=variant\\_1 | 0.81 (_new_) | 0.75 (_new_) |',
        '',
        '### entity\\_eval on tickets',
        '',
        '| Variants | match\\_rate |',
        '| --- | --- |',
        '| summarize=variant\\_0 | 0.5 (_new_) |',
        '',
      ].join('\n'),
    );
  });

  it('shows plain values without a baseline, and a runs table when given runs', () => {
    const markdown = renderMarkdownSummary({
      metrics: document([row({ metrics: { accuracy: 0.85 } })], { env: 'dev' }),
      runs: [{ name: 'r0', dataset: 'tickets', variants: {}, status: 'Completed', lines: { total: 4, completed: 3, failed: 1 }, durationMs: 900 }],
    });
    expect(markdown).toContain('## Evaluation of web\\_classification (dev)');
    expect(markdown).toContain('| summarize=variant\\_0 | 0.85 |');
    expect(markdown).not.toContain('Deltas');
    expect(markdown).toContain('| r0 | tickets | default | ⚠️ Completed | 3/4 |  | 900 ms |');
  });

  it('escapes names so they cannot become markup or forge the comment marker', () => {
    const markdown = renderMarkdownSummary({
      metrics: document([row({ dataset: '<!-- llmops:evaluate -->', metrics: { '**bold** [link](http://x)': 1, 'a|b': 2 } })]),
    });
    expect(markdown).not.toContain('<!--');
    expect(markdown).toContain('### accuracy\\_eval on &lt;!-- llmops:evaluate -->');
    expect(markdown).toContain('| Variants | \\*\\*bold\\*\\* \\[link\\](http://x) | a\\|b |');
  });

  it('stays within the bound, cutting between lines with a note', () => {
    const rows = Array.from({ length: 3000 }, (_, index) =>
      row({ dataset: `dataset_${index % 40}`, variants: { summarize: `variant_${index}` }, run: `run_${index}`, metrics: { accuracy: index / 3000, exact_match_rate: 0.5 } }),
    );
    const markdown = renderMarkdownSummary({ metrics: document(rows) }, { fullReportHint: "the HTML report in the 'evaluation' artifact" });
    expect(markdown.length).toBeLessThanOrEqual(GITHUB_COMMENT_MAX_CHARACTERS - 1536);
    expect(markdown.length).toBeGreaterThan(GITHUB_COMMENT_MAX_CHARACTERS - 1536 - 500);
    expect(markdown).toMatch(/\n\n_Summary truncated to 64000 characters: \d+ more lines are in the HTML report in the 'evaluation' artifact\._\n$/);
    // Whole lines only: the last kept line is a complete table row.
    const lines = markdown.trimEnd().split('\n');
    expect(lines.at(-3)).toMatch(/^\| summarize=variant\\_\d+ \| [\d.]+ \| 0\.5 \|$/);

    const small = renderMarkdownSummary({ metrics: current }, { maxCharacters: 300 });
    expect(small.length).toBeLessThanOrEqual(300);
    expect(small).toContain('_Summary truncated to 300 characters:');
  });
});
