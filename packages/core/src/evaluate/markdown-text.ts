/**
 * User-controlled names (metrics, datasets, variants) end up in step summaries and PR comments,
 * which GitHub renders as markdown with some HTML. Escaping them keeps a dataset called
 * `<img src=...>` or `**x**` from becoming markup, and keeps a name from forging our hidden
 * `<!-- llmops:... -->` comment marker.
 */

/**
 * Backslash-escape the characters that start markup inside a line: emphasis, code, links,
 * strikethrough, HTML tags and entities. Text lands in table cells and sentences, never at the
 * start of a line, so `#`, `>`, `+` and `-` are harmless there and stay readable. `<` becomes
 * `&lt;` rather than `\<` so the text never contains a literal `<!--`. `|` is left
 * alone: markdownTable() escapes it for table cells, and escaping it twice would show the backslash.
 */
export function escapeMarkdownText(text: string): string {
  return text
    .replace(/[\\`*_[\]~&]/g, (character) => `\\${character}`)
    .replace(/</g, '&lt;')
    .replace(/\r?\n/g, ' ');
}
