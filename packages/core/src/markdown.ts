/** Small markdown builders for step summaries, shared by every stage. */

const cell = (value: string) => value.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function markdownTable(header: string[], rows: string[][]): string {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

export const code = (value: string) => `\`${value.replace(/`/g, "'")}\``;
