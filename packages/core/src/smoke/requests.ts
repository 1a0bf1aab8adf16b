/**
 * Sample requests for a smoke test. The template's sample-request.json is one JSON object of
 * flow inputs; a JSON array of such objects, or a .jsonl file with one per line (the shape of a
 * prompt flow dataset), sends several. Every problem is one line at its file:line:col.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError, type SourceLocation } from '../errors.js';
import { missingFileError, YamlSource } from '../config/yaml-source.js';
import { isPlainObject } from '../json-document.js';

export interface SampleRequest {
  /** How the request is named in logs and results: `request 2`, or `line 3` of a .jsonl file. */
  label: string;
  body: Record<string, unknown>;
  location: SourceLocation;
}

export async function loadSampleRequests(file: string): Promise<SampleRequest[]> {
  return path.extname(file).toLowerCase() === '.jsonl' ? loadJsonLines(file) : loadJson(file);
}

async function loadJson(file: string): Promise<SampleRequest[]> {
  const source = await YamlSource.read(file, 'request file');
  const value = source.toJS();
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) throw source.errorAt([], 'the request file holds no requests');
  return items.map((body, index) => {
    const fieldPath = Array.isArray(value) ? [index] : [];
    if (!isPlainObject(body)) throw source.errorAt(fieldPath, 'a request must be a JSON object of flow inputs');
    return { label: `request ${index + 1}`, body, location: source.locate(fieldPath) };
  });
}

async function loadJsonLines(file: string): Promise<SampleRequest[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw missingFileError(file, 'request file', error);
  }
  const requests: SampleRequest[] = [];
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    const location = { file, line: index + 1, column: 1 };
    let body: unknown;
    try {
      body = JSON.parse(line);
    } catch (error) {
      throw new ConfigurationError(`not a JSON line: ${(error as Error).message}`, location);
    }
    if (!isPlainObject(body)) throw new ConfigurationError('a request must be a JSON object of flow inputs', location);
    requests.push({ label: `line ${index + 1}`, body, location });
  }
  if (requests.length === 0) throw new ConfigurationError('the request file holds no requests', { file, line: 1, column: 1 });
  return requests;
}
