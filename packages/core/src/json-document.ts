/**
 * The JSON documents stages hand each other (runs, metrics, registration and deployment
 * manifests), read the same way everywhere: every problem is one line naming the file, and the
 * document's `schema` tag is checked before its shape, so a metrics file passed as a manifest
 * says so instead of listing missing fields.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as z from 'zod';
import { ConfigurationError } from './errors.js';

/** A JSON object (not an array, not null): what a document, a request or a mapping must be. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The parsed JSON of `file`; `name` says what it is in errors, `whenMissing` what to do about it. */
export async function readJsonFile(file: string, name: string, whenMissing?: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? `not found${whenMissing ? ` (${whenMissing})` : ''}`
        : `cannot be read (${(error as Error).message.split('\n')[0]})`;
    throw new ConfigurationError(`${name} ${reason}`, { file });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigurationError(`not JSON: ${(error as Error).message.split('\n')[0]}`, { file });
  }
}

/** `json` as a document of `schema`, validated by `shape`. */
export function parseTaggedDocument<S extends z.ZodType>(
  json: unknown,
  file: string,
  document: { name: string; schema: string; shape: S },
): z.output<S> {
  const found = (json as { schema?: unknown } | null)?.schema;
  if (found !== document.schema) {
    throw new ConfigurationError(
      `not a ${document.name} of schema ${document.schema} (found schema ${JSON.stringify(found) ?? 'none'})`,
      { file },
    );
  }
  const parsed = document.shape.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigurationError(`${formatIssuePath(issue.path)}: ${issue.message}`, { file });
  }
  return parsed.data;
}

/** `rows[0].metrics.accuracy`: how a place in a document reads in errors. */
function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text || '(root)';
}

let temporarySequence = 0;

/**
 * Write a document whole or not at all: a reader (the next stage, a concurrent run) never sees
 * half a file, and a failed write leaves the previous one in place.
 */
export async function writeJsonDocument(file: string, document: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  // Unique across processes (pid) and within one (the sequence); no crypto on the start-up path.
  const temporary = `${file}.${process.pid}.${++temporarySequence}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(document, null, 2)}\n`);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
