/**
 * Shared by the promptflow tests: they run the real promptflow from the repo's .venv
 * (`npm run setup:python`). Without it they are skipped with a visible reason on a laptop, and
 * fail loudly in CI, where a missing venv is a broken pipeline, not a reason to pass.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe } from 'vitest';
import type { Logger } from '../../packages/core/src/host.js';
import type { ResolvedFlow } from '../../packages/core/src/plan/types.js';
import { resolveFlow } from '../../packages/core/src/flow/index.js';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const venvPython = path.join(repoRoot, '.venv', 'bin', 'python');
export const hasVenv = existsSync(venvPython);
export const examplesDir = path.join(repoRoot, 'examples');
export const fixtureFlowsDir = path.join(repoRoot, 'tests', 'fixtures', 'flows');

const MISSING_VENV = `${venvPython} is missing: run \`npm run setup:python\``;
if (!hasVenv && process.env.CI) {
  throw new Error(`${MISSING_VENV} (CI is set, so the promptflow tests fail instead of skipping)`);
}
if (!hasVenv) console.warn(`promptflow tests skipped: ${MISSING_VENV}`);

/**
 * Each `pf run create` takes 5-20 s on a busy 2-core runner, and a test may chain four of them:
 * more than vitest's default budget, bounded all the same.
 */
const PROMPTFLOW_TEST_TIMEOUT_MS = 300_000;

/** A describe block that needs the venv; its title says why when it is skipped. */
export function describeWithPromptflow(name: string, body: () => void): void {
  const title = hasVenv ? name : `${name} [skipped: ${MISSING_VENV}]`;
  describe.skipIf(!hasVenv)(title, { timeout: PROMPTFLOW_TEST_TIMEOUT_MS }, body);
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `llmops-${prefix}-`));
}

export async function flowAt(dir: string): Promise<ResolvedFlow> {
  return resolveFlow(dir);
}

export interface RecordingLogger extends Logger {
  lines: string[];
}

/** A Logger that keeps every line, to assert what was (and was not) logged. */
export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  return {
    lines,
    info: (message) => void lines.push(`info: ${message}`),
    debug: (message) => void lines.push(`debug: ${message}`),
    warning: (message) => void lines.push(`warning: ${message}`),
    error: (message) => void lines.push(`error: ${message}`),
    group: async (title, fn) => {
      lines.push(`group: ${title}`);
      return fn();
    },
  };
}

/**
 * Processes whose environment has PF_HOME_DIRECTORY=<home>: every promptflow process an executor
 * starts (pf, its line workers, a trace service it might spawn) inherits it. Returned as
 * "pid args" for a readable failure. Linux: /proc; elsewhere nothing can be checked.
 */
export async function processesUsingHome(home: string): Promise<string[]> {
  if (process.platform !== 'linux') return [];
  const marker = `PF_HOME_DIRECTORY=${home}\0`;
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`, 'latin1');
      if (!`${environ}\0`.includes(marker)) continue;
      const args = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').join(' ').trim();
      found.push(`${entry} ${args}`);
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return found;
}

export async function readJsonLines(file: string): Promise<Array<Record<string, unknown>>> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
