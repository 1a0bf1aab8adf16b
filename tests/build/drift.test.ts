/**
 * check-dist: every file generated from the stage specs, and every committed bundle, must be
 * exactly what the build produces now. Fix a failure with `npm run build` and commit.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stages } from '@llmops/core/stages/index';
import { buildBundles, existingBundleFiles, repoRoot } from '../../scripts/bundle.js';
import { generatedFiles, taskFolder } from '../../scripts/generate.js';

const hint = 'out of date: run `npm run build` and commit the result';

describe('generated files', () => {
  for (const [file, expected] of generatedFiles()) {
    it(`${file} matches its stage spec`, async () => {
      const committed = await fs.readFile(path.join(repoRoot, file), 'utf8').catch(() => undefined);
      expect(committed, `${file} is ${hint}`).toBe(expected);
    });
  }

  it('no action or task folder exists without a stage', async () => {
    const actions = (await fs.readdir(path.join(repoRoot, 'actions'))).sort();
    const tasks = (await fs.readdir(path.join(repoRoot, 'tasks'))).sort();
    expect(actions).toEqual(stages.map((stage) => stage.name).sort());
    expect(tasks).toEqual(stages.map((stage) => path.basename(taskFolder(stage))).sort());
  });
});

describe('bundles', () => {
  let outRoot: string;
  afterAll(async () => {
    if (outRoot) await fs.rm(outRoot, { recursive: true, force: true });
  });

  it('are byte-for-byte what the build produces from the current sources', async () => {
    outRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'llmops-drift-'));
    const files = await buildBundles(outRoot);
    expect(files.length).toBeGreaterThanOrEqual(stages.length * 4);
    const stale: string[] = [];
    for (const file of files) {
      const [fresh, committed] = await Promise.all([
        fs.readFile(path.join(outRoot, file)),
        fs.readFile(path.join(repoRoot, file)).catch(() => undefined),
      ]);
      if (!committed || !fresh.equals(committed)) stale.push(file);
    }
    expect(stale, `these bundles are ${hint}`).toEqual([]);
    const leftovers = (await existingBundleFiles(repoRoot)).filter((file) => !files.includes(file));
    expect(leftovers, `no build makes these committed files any more: ${hint}`).toEqual([]);
  });
});
