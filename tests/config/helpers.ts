import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { ConfigurationError } from '../../packages/core/src/errors.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = path.join(repoRoot, 'tests/fixtures/config');
export const usecaseDir = path.join(fixturesDir, 'usecase');
export const malformedDir = path.join(fixturesDir, 'malformed');

/**
 * The one line a user sees for a failed promise: `file:line:col: message`. Fails the test when
 * the promise resolves, throws something other than a ConfigurationError, or the line breaks.
 */
export async function userErrorOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'expected a ConfigurationError').toBeInstanceOf(ConfigurationError);
  const line = String(error);
  expect(line).not.toContain('\n');
  return line;
}

/** The same for synchronous code. */
export function userErrorOfCall(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    const line = String(error);
    expect(line).not.toContain('\n');
    return line;
  }
  throw new Error('expected a ConfigurationError, but the call succeeded');
}
