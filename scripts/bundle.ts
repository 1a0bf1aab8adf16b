/**
 * The bundles that are committed: one per action, one per Azure DevOps task (self-contained: a
 * task folder ships without node_modules) and the CLI. All are ES modules (@actions/core 3 is
 * ESM-only; the agent runs a task's target with plain `node`, which honours the package.json
 * beside it). esbuild output is deterministic for the same sources and lockfile, which is what
 * the drift test relies on.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { stages } from '@llmops/core/stages/index';
import { taskFolder } from './generate.js';

export const repoRoot = path.resolve(import.meta.dirname, '..');

export interface BundleTarget {
  /** Entry file, relative to the repo root. */
  entry: string;
  /** Output folder, relative to the repo root; the bundle is <outDir>/<outName>. */
  outDir: string;
  outName: string;
  banner?: string;
}

// ESM bundles still contain CommonJS dependencies that call require() for Node built-ins.
const esmRequireShim = "import { createRequire as __llmopsCreateRequire } from 'node:module';\nconst require = __llmopsCreateRequire(import.meta.url);";

/**
 * See packages/github/src/lazy-undici.cjs: @actions/http-client's undici import is swapped for a
 * shim, and the shim's own require('undici') stays a runtime require of UNDICI_FILE, a separate
 * CommonJS bundle written beside the output that holds the shim. Bundled inline, V8 still had to
 * parse undici's ~420 KiB at every start (~20 ms) though nothing ran it.
 */
const UNDICI_FILE = 'undici.cjs';
const LAZY_UNDICI_SHIM = path.join(repoRoot, 'packages/github/src/lazy-undici.cjs');
const lazyUndici: Plugin = {
  name: 'lazy-undici',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, (args) => {
      if (args.importer === LAZY_UNDICI_SHIM) return { path: `./${UNDICI_FILE}`, external: true };
      if (args.importer.includes(`${path.sep}@actions${path.sep}http-client${path.sep}`)) return { path: LAZY_UNDICI_SHIM };
      return undefined;
    });
  },
};

/**
 * yaml's package maps Node to a CommonJS build and everything else to an ES module build of the
 * same sources (they differ only in that warnings go to console.warn, not process.emitWarning).
 * The ES build tree-shakes and evaluates ~13 ms faster at start-up, which every config load pays.
 */
const yamlEsm: Plugin = {
  name: 'yaml-esm',
  setup(build) {
    build.onResolve({ filter: /^yaml$/ }, () => ({ path: path.join(repoRoot, 'node_modules/yaml/browser/index.js') }));
  },
};

export function bundleTargets(): BundleTarget[] {
  const targets: BundleTarget[] = [];
  for (const stage of stages) {
    targets.push({ entry: `actions/${stage.name}/main.ts`, outDir: `actions/${stage.name}/dist`, outName: 'index.js' });
    targets.push({ entry: `${taskFolder(stage)}/main.ts`, outDir: `${taskFolder(stage)}/dist`, outName: 'index.js' });
  }
  targets.push({
    entry: 'packages/cli/src/entry.ts',
    outDir: 'packages/cli/dist',
    outName: 'llmops.js',
    banner: '#!/usr/bin/env node',
  });
  return targets;
}

/**
 * Builds every bundle under `outRoot` (the repo root, or a temp dir for the drift test) and
 * returns the files written, relative to `outRoot`. Bundles are split: what a stage imports on
 * demand (the Azure SDK, promptflow execution) becomes a chunk that only loads when used, so
 * start-up parses the entry alone.
 */
export async function buildBundles(outRoot: string): Promise<string[]> {
  const written: string[] = [];
  await Promise.all(
    bundleTargets().map(async (target) => {
      const outDir = path.join(outRoot, target.outDir);
      // Chunk names carry content hashes: clear the folder so no stale chunk stays behind.
      await fs.rm(outDir, { recursive: true, force: true });
      const options: BuildOptions = {
        absWorkingDir: repoRoot,
        entryPoints: [{ in: path.join(repoRoot, target.entry), out: path.parse(target.outName).name }],
        outdir: outDir,
        splitting: true,
        // A split bundle imports CommonJS on demand the way Node does: default export only, no
        // named ones. Packages that ship an ES module build (the Azure SDK) are taken in it.
        mainFields: ['module', 'main'],
        chunkNames: 'chunks/[name]-[hash]',
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'esm',
        minify: true,
        keepNames: true,
        legalComments: 'eof',
        logLevel: 'warning',
        metafile: true,
        plugins: [lazyUndici, yamlEsm],
        banner: { js: [target.banner, esmRequireShim].filter(Boolean).join('\n') },
      };
      const result = await build(options);
      // A package.json beside the bundle pins its module type, whatever folder holds it.
      await fs.writeFile(path.join(outDir, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
      written.push(path.join(target.outDir, 'package.json'));
      for (const [file, output] of Object.entries(result.metafile!.outputs)) {
        written.push(path.relative(outRoot, path.resolve(repoRoot, file)));
        if (!Object.keys(output.inputs).some((input) => path.resolve(repoRoot, input) === LAZY_UNDICI_SHIM)) continue;
        const undiciFile = path.join(path.dirname(path.resolve(repoRoot, file)), UNDICI_FILE);
        await fs.writeFile(undiciFile, await undiciBundle());
        written.push(path.relative(outRoot, undiciFile));
      }
    }),
  );
  return written.sort();
}

let undiciBundleText: Promise<string> | undefined;

/** undici as one CommonJS file (the same for every target), built once per build. */
function undiciBundle(): Promise<string> {
  undiciBundleText ??= build({
    absWorkingDir: repoRoot,
    entryPoints: [path.join(repoRoot, 'node_modules/undici/index.js')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    keepNames: true,
    legalComments: 'eof',
    logLevel: 'warning',
    write: false,
  }).then((result) => result.outputFiles[0]!.text);
  return undiciBundleText;
}

/** Every file under the bundle folders as they are now (to find committed files no build makes). */
export async function existingBundleFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  for (const target of bundleTargets()) {
    const entries = await fs.readdir(path.join(root, target.outDir), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isFile()) files.push(path.relative(root, path.join(entry.parentPath, entry.name)));
    }
  }
  return files.sort();
}
