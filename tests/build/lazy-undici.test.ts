/**
 * The actions keep undici out of their start-up path (scripts/bundle.ts, lazy-undici.cjs): the
 * ES module outputs require `./undici.cjs` at run time, on the first ProxyAgent. These checks
 * guard the two ways that can break: undici inlined again (every action parses ~420 KiB more at
 * start), or the runtime require pointing at a file that is not beside the output that makes it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleTargets, repoRoot } from '../../scripts/bundle.js';

const RUNTIME_REQUIRE = '"./undici.cjs"';
// Error codes only undici's own sources define; present in a file means undici is inlined there.
const UNDICI_CODE = 'UND_ERR_';

function outputFiles(outDir: string): string[] {
  return fs
    .readdirSync(path.join(repoRoot, outDir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('undici loads on first use only', () => {
  const actionTargets = bundleTargets().filter((target) => target.outDir.startsWith('actions/'));

  for (const target of actionTargets) {
    it(`${target.outDir}: no ES module output inlines undici, and its runtime require resolves`, () => {
      const files = outputFiles(target.outDir);
      const inlined = files.filter((file) => fs.readFileSync(file, 'utf8').includes(UNDICI_CODE));
      expect(inlined.map((file) => path.relative(repoRoot, file))).toEqual([]);

      const requiring = files.filter((file) => fs.readFileSync(file, 'utf8').includes(RUNTIME_REQUIRE));
      // Every action carries @actions/core, whose HTTP client imports undici.
      expect(requiring.length).toBeGreaterThan(0);
      for (const file of requiring) {
        const undiciFile = path.join(path.dirname(file), 'undici.cjs');
        expect(fs.existsSync(undiciFile), `${path.relative(repoRoot, undiciFile)} is missing`).toBe(true);
        // What the shim does on the first proxied request: require the file and build a ProxyAgent.
        const probe = spawnSync(
          process.execPath,
          ['-e', `const { ProxyAgent } = require(${JSON.stringify(undiciFile)}); new ProxyAgent('http://127.0.0.1:9').close().then(() => console.log('ok'));`],
          { encoding: 'utf8' },
        );
        expect(probe.stderr).toBe('');
        expect(probe.stdout.trim()).toBe('ok');
      }
    });
  }
});
