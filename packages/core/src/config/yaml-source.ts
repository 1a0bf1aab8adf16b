/**
 * A parsed YAML (or JSON) file that remembers where every value came from, so that each
 * configuration error can name `file:line:col` of the exact key or value at fault.
 *
 * JSON files go through the same parser: YAML 1.2 is a superset of JSON, and one source of
 * positions keeps the error format identical for experiment.yaml, env.yaml and
 * deployment_config.json.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseJson, printParseErrorCode, type ParseError, type ParseErrorCode } from 'jsonc-parser';
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { ConfigurationError, type SourceLocation } from '../errors.js';

/** Where a value sits in a parsed file: keys and list indexes from the root. */
export type FieldPath = readonly (string | number)[];

/** `datasets[1].mappings.text`: how field paths read in error messages (0-based indexes). */
export function formatFieldPath(fieldPath: FieldPath): string {
  let text = '';
  for (const segment of fieldPath) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text;
}

/** Point at the key of a mapping entry (unknown keys) or at its value (wrong values). */
export type LocationTarget = 'key' | 'value';

export class YamlSource {
  private constructor(
    /** The path as the user gave it; this is what error messages show. */
    readonly file: string,
    readonly text: string,
    private readonly document: Document.Parsed,
    private readonly lineCounter: LineCounter,
  ) {}

  /**
   * Read and parse a file. Missing files, YAML syntax errors (tabs included) and files with no
   * content become one-line ConfigurationErrors; `what` names the file's role in messages.
   */
  static async read(file: string, what: string, options: { allowEmpty?: boolean } = {}): Promise<YamlSource> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw missingFileError(file, what, error);
    }
    if (path.extname(file).toLowerCase() === '.json') rejectInvalidJson(file, text);
    const source = YamlSource.parse(file, text);
    if (source.isEmpty() && !options.allowEmpty) {
      throw new ConfigurationError(`${what} is empty`, { file, line: 1, column: 1 });
    }
    return source;
  }

  /** Parse text already in memory; syntax errors are thrown, emptiness is left to the caller. */
  static parse(file: string, text: string): YamlSource {
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    const source = new YamlSource(file, text, document, lineCounter);
    const [firstError] = document.errors;
    if (firstError) {
      // The parser's messages are single sentences once prettyErrors is off; keep the first line
      // anyway so a future multi-line message cannot break the one-line contract.
      const message = firstError.message.split('\n')[0]!.trim();
      throw new ConfigurationError(`YAML syntax error: ${message}`, source.offsetLocation(firstError.pos[0]));
    }
    return source;
  }

  /** True when the file holds no document at all (nothing, or only comments and whitespace). */
  isEmpty(): boolean {
    const contents = this.document.contents;
    return contents === null || (isScalar(contents) && contents.value === null);
  }

  /** The plain JavaScript value of the whole document. */
  toJS(): unknown {
    return this.document.toJS();
  }

  /** The YAML node at a path, or undefined when the path leads nowhere. */
  nodeAt(fieldPath: FieldPath): Node | undefined {
    if (fieldPath.length === 0) return (this.document.contents ?? undefined) as Node | undefined;
    const node = this.document.getIn(fieldPath, true);
    return isNodeLike(node) ? node : undefined;
  }

  /**
   * The location of a key or value. A path that does not exist (a missing key) resolves to its
   * nearest existing ancestor, which is where the user has to add something.
   */
  locate(fieldPath: FieldPath, target: LocationTarget = 'value'): SourceLocation {
    for (let depth = fieldPath.length; depth >= 0; depth--) {
      const prefix = fieldPath.slice(0, depth);
      const offset = this.offsetOf(prefix, depth === fieldPath.length ? target : 'value');
      if (offset !== undefined) return this.offsetLocation(offset);
    }
    return { file: this.file, line: 1, column: 1 };
  }

  /** A ConfigurationError at a field: `file:line:col: datasets[1].source: <problem>`. */
  errorAt(fieldPath: FieldPath, problem: string, target: LocationTarget = 'value'): ConfigurationError {
    const field = formatFieldPath(fieldPath);
    const message = field === '' ? problem : `${field}: ${problem}`;
    return new ConfigurationError(message, this.locate(fieldPath, target));
  }

  /** Character offset of a key or value, if it exists in the document. */
  private offsetOf(fieldPath: FieldPath, target: LocationTarget): number | undefined {
    if (fieldPath.length === 0) {
      const root = this.document.contents;
      return root?.range?.[0] ?? 0;
    }
    const parent = fieldPath.length === 1 ? this.document.contents : this.document.getIn(fieldPath.slice(0, -1), true);
    const last = fieldPath[fieldPath.length - 1]!;
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(last));
      if (!pair) return undefined;
      const keyNode = pair.key as Node;
      const valueNode = pair.value as Node | null;
      // An empty value (`evaluators:`) has a zero-width range right after the colon; the key is
      // the more useful place to point at then.
      if (target === 'key' || !valueNode?.range || isEmptyScalar(valueNode)) return keyNode.range?.[0];
      return valueNode.range[0];
    }
    if (isSeq(parent) && typeof last === 'number') {
      const item = parent.items[last] as Node | undefined;
      return item?.range?.[0];
    }
    return undefined;
  }

  private offsetLocation(offset: number): SourceLocation {
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.file, line, column: col };
  }
}

/**
 * The YAML parser accepts more than JSON (trailing commas, comments); Python's json.load, which
 * the template and promptflow use on these files, does not. Check JSON strictly first. V8's
 * messages may quote the file's text, which can hold a secret: only the quote-free part is kept.
 */
/**
 * Strict JSON first (YAML would accept `{"a": }` or a trailing comma silently). jsonc-parser,
 * unlike JSON.parse, reports every syntax error with its offset, so the error points at it.
 */
function rejectInvalidJson(file: string, text: string): void {
  if (text.trim() === '') return; // empty files get their own message
  const errors: ParseError[] = [];
  parseJson(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const [first] = errors;
  if (!first) return;
  const before = text.slice(0, first.offset).split('\n');
  throw new ConfigurationError(`JSON syntax error: ${jsonErrorText(first.error)}`, {
    file,
    line: before.length,
    column: before[before.length - 1]!.length + 1,
  });
}

/** `PropertyNameExpected` -> `property name expected`. */
function jsonErrorText(code: ParseErrorCode): string {
  return printParseErrorCode(code)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

function isNodeLike(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && 'range' in value;
}

function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1];
}

/** A one-line error for a file that cannot be read, naming its resolved path. */
export function missingFileError(file: string, what: string, cause?: unknown): ConfigurationError {
  const resolved = path.resolve(file);
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EISDIR') return new ConfigurationError(`${what} ${resolved} is a folder, not a file`);
  if (code && code !== 'ENOENT') return new ConfigurationError(`cannot read ${what} ${resolved} (${code})`);
  return new ConfigurationError(`${what} not found: ${resolved}`);
}

export async function pathKind(file: string): Promise<'file' | 'folder' | undefined> {
  try {
    const stats = await stat(file);
    return stats.isDirectory() ? 'folder' : 'file';
  } catch {
    return undefined;
  }
}

/** How a YAML value reads in an error message ("a list", "a number"); never the value itself. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'a mapping';
    default:
      return `a ${typeof value}`;
  }
}
