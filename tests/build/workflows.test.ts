/**
 * The reusable workflows and this repository's CI workflow, checked by actionlint (syntax,
 * expressions, job outputs, workflow_call inputs and secrets). .ci/run installs actionlint with
 * `go install`; without it the check fails in CI and is skipped, visibly, on a laptop.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/runner-faces.js';

function findActionlint(): string | undefined {
  const candidates = [
    process.env.ACTIONLINT,
    path.join(repoRoot, '.tools', 'actionlint'),
    path.join(os.homedir(), 'go', 'bin', 'actionlint'),
  ].filter((candidate): candidate is string => Boolean(candidate));
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found) return found;
  const onPath = spawnSync('sh', ['-c', 'command -v actionlint'], { encoding: 'utf8' }).stdout.trim();
  return onPath || undefined;
}

const actionlint = findActionlint();
const missing = 'actionlint not found: run `GOBIN=$PWD/.tools go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12`';
if (!actionlint && process.env.CI) throw new Error(`${missing} (CI is set, so this fails instead of skipping)`);
if (!actionlint) console.warn(`workflow lint skipped: ${missing}`);

describe.skipIf(!actionlint)(actionlint ? 'GitHub workflows' : `GitHub workflows [skipped: ${missing}]`, () => {
  const workflows = readdirSync(path.join(repoRoot, '.github/workflows')).filter((file) => file.endsWith('.yml'));

  it('exist for PR, dev and prod, and this repository', () => {
    expect(workflows.sort()).toEqual(['ci.yml', 'llmops-dev.yml', 'llmops-pr.yml', 'llmops-prod.yml']);
  });

  for (const workflow of workflows) {
    it(`${workflow} passes actionlint`, () => {
      const output = (() => {
        try {
          return execFileSync(actionlint!, ['-no-color', path.join('.github/workflows', workflow)], { cwd: repoRoot, encoding: 'utf8' });
        } catch (error) {
          return String((error as { stdout?: string }).stdout ?? error);
        }
      })();
      expect(output).toBe('');
    });
  }
});
