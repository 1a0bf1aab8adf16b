/**
 * CSV reports: one file per (evaluator, dataset) and a combined metrics.csv.
 *
 * The template wrote one file per evaluator and overwrote it for each dataset (#221, #225).
 * Here the file name encodes both names injectively, so no two pairs can share a file on any
 * file system, whatever the names contain.
 */
import { createHash } from 'node:crypto';
import { groupMetricsRows, type MetricsDocument, type MetricsGroup, type MetricsRow } from './metrics.js';

export const COMBINED_CSV_FILE = 'metrics.csv';

/** Separates evaluator and dataset in a file name; encodeNameForFile() never produces it. */
const PAIR_SEPARATOR = '__';
/** Starts the hash suffix of a disambiguated name; encodeNameForFile() never produces it either. */
const HASH_MARK = '~';
/** Leaves room for the hash suffix and `.csv` under the common 255-byte name limit. */
const MAX_ENCODED_LENGTH = 200;

/**
 * A name as a file name part, readably where possible: letters and digits of any script, `.`, `-`
 * and single inner `_` stay; every other character is %XX-encoded (UTF-8). Runs of `_` and
 * leading/trailing `_` are encoded too, so an encoded name never contains or touches `__`, and
 * `a__b` + `c` cannot meet `a` + `b__c`. A leading `.` is encoded so no report is a hidden file,
 * and the first letter of a Windows device name (`CON`, `nul.x`, `COM1`) so Windows can open it.
 */
export function encodeNameForFile(name: string): string {
  const characters = [...name];
  const isDeviceName = WINDOWS_DEVICE_NAME.test(name);
  return characters
    .map((character, index) => {
      if (index === 0 && isDeviceName) return percentEncode(character);
      if (character === '_') {
        const loneInner = index > 0 && index < characters.length - 1 && characters[index - 1] !== '_' && characters[index + 1] !== '_';
        return loneInner ? '_' : '%5F';
      }
      if (character === '.' && index === 0) return '%2E';
      if (/^[\p{L}\p{N}.-]$/u.test(character)) return character;
      return percentEncode(character);
    })
    .join('');
}

/** Windows refuses these as a file's name before its first dot, in any case. */
const WINDOWS_DEVICE_NAME = /^(?:CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(?:\.|$)/i;

const percentEncode = (character: string) =>
  [...Buffer.from(character, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');

export interface EvaluatorDataset {
  evaluator: string;
  dataset: string;
}

/** The key reportFileNames() uses for a pair. */
export const evaluatorDatasetKey = (pair: EvaluatorDataset) => JSON.stringify([pair.evaluator, pair.dataset]);

/**
 * File names (`<evaluator>__<dataset>.csv`) for a set of pairs, keyed by evaluatorDatasetKey().
 * The encoding is injective, but file systems may still fold two names into one file: macOS and
 * Windows ignore case, and macOS ignores Unicode normalization. Names that fold together, and
 * names too long to keep whole, get a suffix of the pair's hash instead. The result depends on
 * the whole set, so name all files of one report in one call.
 */
export function reportFileNames(pairs: readonly EvaluatorDataset[], extension = '.csv'): Map<string, string> {
  const encoded = new Map<string, string>();
  for (const pair of pairs) {
    encoded.set(evaluatorDatasetKey(pair), `${encodeNameForFile(pair.evaluator)}${PAIR_SEPARATOR}${encodeNameForFile(pair.dataset)}`);
  }
  const fold = (name: string) => name.normalize('NFC').toLowerCase();
  const foldCounts = new Map<string, number>();
  for (const name of encoded.values()) foldCounts.set(fold(name), (foldCounts.get(fold(name)) ?? 0) + 1);

  const names = new Map<string, string>();
  for (const [key, name] of encoded) {
    const clashes = foldCounts.get(fold(name))! > 1;
    const tooLong = Buffer.byteLength(name) > MAX_ENCODED_LENGTH;
    if (!clashes && !tooLong) {
      names.set(key, `${name}${extension}`);
      continue;
    }
    // The hash of the exact pair tells the folded twins apart; truncation keeps it readable.
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 12);
    names.set(key, `${truncateBytes(name, MAX_ENCODED_LENGTH - 20)}${HASH_MARK}${hash}${extension}`);
  }
  return names;
}

/** Cut at a character boundary (and never inside a %XX escape) so the name stays valid UTF-8. */
function truncateBytes(name: string, maxBytes: number): string {
  let result = '';
  for (const piece of name.match(/%[0-9A-F]{2}|[\s\S]/gu) ?? []) {
    if (Buffer.byteLength(result + piece) > maxBytes) break;
    result += piece;
  }
  return result;
}

/**
 * One CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF (or edge spaces,
 * which spreadsheets trim), quotes doubled.
 *
 * Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
 * leading `'`: names come from experiment files anyone can send in a pull request, and the
 * reports are opened in Excel (OWASP "CSV injection"). Numbers are written as numbers.
 */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV text with CRLF line ends (RFC 4180), ending with a line end. */
export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | undefined)[])[]): string {
  return [header, ...rows].map((fields) => `${fields.map(csvField).join(',')}\r\n`).join('');
}

export interface CsvFile {
  /** A file name, no folders. */
  name: string;
  evaluator?: string;
  dataset?: string;
  content: string;
}

/** Every node with variants in these rows, in first-seen order: one column each. */
function variantNodes(rows: readonly MetricsRow[]): string[] {
  const nodes: string[] = [];
  for (const row of rows) for (const node of Object.keys(row.variants)) if (!nodes.includes(node)) nodes.push(node);
  return nodes;
}

function groupCsv(group: MetricsGroup): string {
  const nodes = variantNodes(group.rows);
  return toCsv(
    ['run', ...nodes.map((node) => `variant:${node}`), ...group.metricNames],
    group.rows.map((row) => [row.run, ...nodes.map((node) => row.variants[node]), ...group.metricNames.map((metric) => row.metrics[metric])]),
  );
}

function combinedCsv(document: MetricsDocument): string {
  const nodes = variantNodes(document.rows);
  const metricNames: string[] = [];
  for (const row of document.rows) for (const metric of Object.keys(row.metrics)) if (!metricNames.includes(metric)) metricNames.push(metric);
  return toCsv(
    ['evaluator', 'dataset', 'evaluation_dataset', 'run', ...nodes.map((node) => `variant:${node}`), ...metricNames],
    document.rows.map((row) => [
      row.evaluator,
      row.dataset,
      row.evaluationDataset,
      row.run,
      ...nodes.map((node) => row.variants[node]),
      ...metricNames.map((metric) => row.metrics[metric]),
    ]),
  );
}

/**
 * The CSV reports of a metrics document: one per (evaluator, dataset), then metrics.csv with
 * every row. Cells of metrics a row does not have are empty. The caller writes them to disk.
 */
export function metricsCsvFiles(document: MetricsDocument): CsvFile[] {
  const groups = groupMetricsRows(document.rows);
  const names = reportFileNames(groups);
  return [
    ...groups.map((group) => ({
      name: names.get(evaluatorDatasetKey(group))!,
      evaluator: group.evaluator,
      dataset: group.dataset,
      content: groupCsv(group),
    })),
    { name: COMBINED_CSV_FILE, content: combinedCsv(document) },
  ];
}
