import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../packages/core/src/errors.js';
import { contentHash } from '../../packages/core/src/hash/index.js';
import { LocalRegistry } from '../../packages/core/src/registry/local.js';
import { lockAsset } from '../../packages/core/src/registry/local/asset-lock.js';
import type { AssetVersion, RegisterRequest } from '../../packages/core/src/registry/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');

let scratch: string;
let registryRoot: string;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'llmops-registry-'));
  registryRoot = join(scratch, 'registry');
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function writeTree(name: string, files: Record<string, string>): Promise<string> {
  const root = join(scratch, name);
  await mkdir(root, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

/** What register-if-changed does: hash, then hand the hash and file list to the registry. */
async function requestFor(sourcePath: string, overrides: Partial<RegisterRequest> = {}): Promise<RegisterRequest> {
  const { hash, files } = await contentHash(sourcePath);
  return { kind: 'data', name: 'web-classification', hash, sourcePath, files: files.map((f) => f.path), ...overrides };
}

/** Every path under the registry with its size and mtime: "nothing written" means this is unchanged. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const info = await stat(path);
    out[relative(root, path)] = `${info.size}:${info.mtimeMs}`;
  }
  return out;
}

describe('LocalRegistry', () => {
  it('registers new content as version 1 with a copy and a version.json', async () => {
    const source = await writeTree('flow', { 'flow.dag.yaml': 'nodes: []\n', 'src/tool.py': 'pass\n', '__pycache__/x.pyc': 'b' });
    const registry = new LocalRegistry(registryRoot);
    const request = await requestFor(source, { kind: 'model', name: 'my-flow', tags: { stage: 'dev' } });

    const result = await registry.register(request);

    expect(result).toMatchObject({ created: true, kind: 'model', name: 'my-flow', version: '1', hash: request.hash });
    expect(result.tags).toEqual({ stage: 'dev' });
    expect(result.uri).toBe(join(registryRoot, 'model', 'my-flow', '1', 'content'));
    expect(await readFile(join(result.uri, 'src/tool.py'), 'utf8')).toBe('pass\n');
    expect(existsSync(join(result.uri, '__pycache__'))).toBe(false);
    expect((await contentHash(result.uri)).hash).toBe(request.hash);

    const record = JSON.parse(await readFile(join(registryRoot, 'model/my-flow/1/version.json'), 'utf8'));
    expect(record).toMatchObject({ version: '1', hash: request.hash, hashAlgorithm: 'llmops-content-hash-v1', uri: result.uri });
    const { created: _created, ...version } = result;
    expect(await registry.latest('model', 'my-flow')).toEqual(version);
  });

  it('is a no-op for unchanged content: created false and nothing written', async () => {
    const source = await writeTree('data', { 'rows.jsonl': '{"a":1}\n' });
    const registry = new LocalRegistry(registryRoot);
    const first = await registry.register(await requestFor(source));
    const before = await snapshot(registryRoot);

    const again = await registry.register(await requestFor(source, { tags: { other: 'tags' } }));

    expect(again).toMatchObject({ created: false, version: first.version, hash: first.hash, tags: {} });
    expect(await snapshot(registryRoot)).toEqual(before);
  });

  it('makes exactly one new version when content changes', async () => {
    const source = await writeTree('data', { 'rows.jsonl': '{"a":1}\n' });
    const registry = new LocalRegistry(registryRoot);
    await registry.register(await requestFor(source));
    await writeFile(join(source, 'rows.jsonl'), '{"a":2}\n');

    const second = await registry.register(await requestFor(source));
    const third = await registry.register(await requestFor(source));

    expect(second).toMatchObject({ created: true, version: '2' });
    expect(third).toMatchObject({ created: false, version: '2' });
    expect((await readdir(join(registryRoot, 'data/web-classification'))).sort()).toEqual(['1', '2']);
    expect((await registry.latest('data', 'web-classification'))?.version).toBe('2');
  });

  it('stores a single-file asset under its name and points the uri at the file', async () => {
    const source = await writeTree('d', { 'version.json': '{"not":"the record"}' });
    const registry = new LocalRegistry(registryRoot);
    const result = await registry.register(await requestFor(join(source, 'version.json')));
    expect(result.uri).toBe(join(registryRoot, 'data/web-classification/1/content/version.json'));
    expect(await readFile(result.uri, 'utf8')).toBe('{"not":"the record"}');
  });

  it('returns undefined for an asset with no versions', async () => {
    expect(await new LocalRegistry(registryRoot).latest('data', 'nothing-yet')).toBeUndefined();
  });

  it.each(['a/b', '../up', '.hidden', '', 'new\nline', 'x'.repeat(256), 'sp ace'])(
    'refuses the asset name %j with a one-line ConfigurationError',
    async (name) => {
      const registry = new LocalRegistry(registryRoot);
      const error = await registry.latest('data', name).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(/^invalid asset name /);
      expect((error as Error).message).not.toContain('\n');
    },
  );

  it('refuses content that changed after it was hashed, and publishes nothing', async () => {
    const source = await writeTree('data', { 'rows.jsonl': 'old\n' });
    const registry = new LocalRegistry(registryRoot);
    const request = await requestFor(source);
    await writeFile(join(source, 'rows.jsonl'), 'new\n');

    await expect(registry.register(request)).rejects.toThrow(/content changed since it was hashed/);
    expect(await registry.latest('data', 'web-classification')).toBeUndefined();
    expect(await readdir(join(registryRoot, 'data/web-classification'))).toEqual([]);
  });

  it('ignores what a crashed writer left behind and cleans up its staging folder', async () => {
    const source = await writeTree('data', { 'rows.jsonl': 'v1\n' });
    const registry = new LocalRegistry(registryRoot);
    await registry.register(await requestFor(source));

    // A writer that died mid-copy, and a numbered folder without a record (never published).
    const asset = join(registryRoot, 'data/web-classification');
    await mkdir(join(asset, '.staging-dead01/content'), { recursive: true });
    await writeFile(join(asset, '.staging-dead01/content/rows.jsonl'), 'half');
    await mkdir(join(asset, '2/content'), { recursive: true });

    expect((await registry.latest('data', 'web-classification'))?.version).toBe('1');

    await writeFile(join(source, 'rows.jsonl'), 'v2\n');
    const next = await registry.register(await requestFor(source));
    expect(next).toMatchObject({ created: true, version: '3' });
    expect((await readdir(asset)).sort()).toEqual(['1', '2', '3']);
  });

  it('takes over the lock of a writer that died holding it', async () => {
    const source = await writeTree('data', { 'rows.jsonl': 'v1\n' });
    const asset = join(registryRoot, 'data/web-classification');
    await mkdir(join(asset, '.lock'), { recursive: true });
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(join(asset, '.lock'), longAgo, longAgo);

    const result = await new LocalRegistry(registryRoot).register(await requestFor(source));
    expect(result).toMatchObject({ created: true, version: '1' });
    expect(existsSync(join(asset, '.lock'))).toBe(false);
  });

  it('gives up with a clear message when a live writer holds the lock too long', async () => {
    const source = await writeTree('data', { 'rows.jsonl': 'v1\n' });
    const asset = join(registryRoot, 'data/web-classification');
    await mkdir(asset, { recursive: true });
    const held = await lockAsset(asset);
    try {
      const impatient = new LocalRegistry(registryRoot, { lock: { waitMs: 300 } });
      await expect(impatient.register(await requestFor(source))).rejects.toThrow(
        /another registration of this asset is still running/,
      );
    } finally {
      await held.release();
    }
  });

  it('lets one of several processes registering the same content create the version', async () => {
    const source = await writeTree('data', { 'rows.jsonl': '{"q":"same"}\n', 'more/b.txt': 'b' });
    const results = await race(4, () => source);

    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.version))).toEqual(new Set(['1']));
    expect((await readdir(join(registryRoot, 'data/shared-dataset'))).sort()).toEqual(['1']);
  });

  it('serialises processes registering different content: one version each, none lost', async () => {
    const sources = await Promise.all(
      [0, 1, 2, 3].map((i) => writeTree(`data-${i}`, { 'rows.jsonl': `{"writer":${i}}\n` })),
    );
    const results = await race(4, (i) => sources[i]!);

    expect(results.every((r) => r.created)).toBe(true);
    expect(results.map((r) => r.version).sort()).toEqual(['1', '2', '3', '4']);
    const registry = new LocalRegistry(registryRoot);
    const latest = await registry.latest('data', 'shared-dataset');
    expect(latest?.version).toBe('4');
    expect(latest?.hash).toBe(results.find((r) => r.version === '4')?.hash);
  });
});

/** Starts `count` writer processes, releases them together, and collects their results. */
async function race(count: number, sourceOf: (i: number) => string): Promise<(AssetVersion & { created: boolean })[]> {
  const barrier = join(scratch, 'barrier');
  await mkdir(barrier, { recursive: true });
  const children = Array.from({ length: count }, (_, i) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'register-child.ts'), registryRoot, sourceOf(i), barrier, String(i)],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    return new Promise<AssetVersion & { created: boolean }>((resolvePromise, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolvePromise(JSON.parse(stdout));
        else reject(new Error(`writer ${i} exited with ${code}: ${stderr}`));
      });
    });
  });

  while ((await readdir(barrier)).filter((name) => name.startsWith('ready-')).length < count) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await writeFile(join(barrier, 'go'), '');
  return Promise.all(children);
}
