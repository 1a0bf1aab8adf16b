import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../packages/core/src/errors.js';
import { contentHash, hashCommand, listAssetFiles } from '../../packages/core/src/hash/index.js';

/**
 * The expected digest built straight from docs/content-hash.md, independently of the
 * implementation: preamble, then entries sorted by the UTF-8 bytes of their paths.
 */
function digestFromSpec(kind: 'file' | 'folder', files: Record<string, string | Buffer>): string {
  const entries = Object.entries(files)
    .map(([path, content]) => [path, Buffer.from(content)] as const)
    .sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  const sha = createHash('sha256');
  sha.update(Buffer.from(`llmops-content-hash-v1\0${kind}\0${entries.length}\0`, 'utf8'));
  for (const [path, content] of entries) {
    sha.update(Buffer.from(`${path}\0${content.length}\0`, 'utf8'));
    sha.update(content);
  }
  return `sha256:${sha.digest('hex')}`;
}

let scratch: string;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'llmops-hash-'));
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Writes files (POSIX relative paths) under a new folder and returns its path. */
async function tree(name: string, files: Record<string, string | Buffer>, order?: string[]): Promise<string> {
  const root = join(scratch, name);
  await mkdir(root, { recursive: true });
  for (const path of order ?? Object.keys(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), files[path]!);
  }
  return root;
}

async function expectConfigurationError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  expect((error as Error).message).toMatch(pattern);
  expect((error as Error).message).not.toContain('\n');
}

describe('golden vectors (computed with printf | sha256sum from the documented layout)', () => {
  it('two files in a folder', async () => {
    const root = await tree('t', { 'a.txt': 'hello', 'sub/b.txt': 'x' });
    const result = await contentHash(root);
    expect(result.hash).toBe('sha256:e6c38905f49e99e27d83f90cc42f5f739a3006be5a01fda24d016466ea88b03a');
    expect(result.algorithm).toBe('llmops-content-hash-v1');
    expect(result.files).toEqual([
      { path: 'a.txt', size: 5 },
      { path: 'sub/b.txt', size: 1 },
    ]);
  });

  it('an empty folder', async () => {
    const root = await tree('empty', {});
    expect((await contentHash(root)).hash).toBe(
      'sha256:3df26d8be7dcd6630fc124e3c761b46b58a64054d0aa6ad551d0921ff741de35',
    );
  });

  it('a single file asset is hashed under its base name', async () => {
    const root = await tree('d', { 'data.jsonl': '{"q":1}\n' });
    const result = await contentHash(join(root, 'data.jsonl'));
    expect(result.hash).toBe('sha256:13c40b5f8410bacab6cd64ac1b17abaf1212ee760e9daf00a3b344fd5dcb7b0a');
    expect(result.kind).toBe('file');
  });
});

describe('layout, as derived from the spec', () => {
  it('sorts by UTF-8 bytes, not locale, and uses NFC paths', async () => {
    const files = {
      'a-b': '1',
      'a/b': '2',
      B: '3',
      'a.txt': '4',
      'é.txt': '5',
      'z.txt': '6',
      '日本/語.txt': '7',
    };
    const root = await tree('u', files);
    const result = await contentHash(root);
    expect(result.hash).toBe(digestFromSpec('folder', files));
    // '-' (0x2d) < '.' (0x2e) < '/' (0x2f); upper case before lower case; é (0xc3 0xa9) after 'z'.
    expect(result.files.map((f) => f.path)).toEqual(['B', 'a-b', 'a.txt', 'a/b', 'z.txt', 'é.txt', '日本/語.txt']);
  });

  it('streams large files and reads small ones whole, around the 256 KiB boundary', async () => {
    const pattern = (size: number) => {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 7919 + size) & 0xff;
      return bytes;
    };
    const files = {
      'big.bin': pattern(3 * 1024 * 1024 + 12345),
      'limit.bin': pattern(256 * 1024),
      'limit-plus-one.bin': pattern(256 * 1024 + 1),
      'one-chunk-exactly.bin': pattern(1024 * 1024),
      'small.txt': 'small',
      'zero.bin': Buffer.alloc(0),
    };
    const root = await tree('big', files);
    expect((await contentHash(root)).hash).toBe(digestFromSpec('folder', files));
  });

  it('hashes many files across folders as the spec says', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`d${i % 7}/f${i}.txt`] = 'x'.repeat(i);
    const root = await tree('many', files);
    expect((await contentHash(root)).hash).toBe(digestFromSpec('folder', files));
  });

  it('stops when its signal aborts', async () => {
    const root = await tree('abort', { 'a.txt': 'a' });
    const controller = new AbortController();
    controller.abort(new Error('step timed out'));
    await expect(contentHash(root, { signal: controller.signal })).rejects.toThrow('step timed out');
  });

  it('a file asset differs from a folder holding only that file', async () => {
    const root = await tree('f', { 'data.jsonl': 'rows' });
    expect((await contentHash(root)).hash).not.toBe((await contentHash(join(root, 'data.jsonl'))).hash);
  });
});

describe('what the hash ignores and what it does not', () => {
  const files = { 'flow.dag.yaml': 'nodes: []\n', 'src/tool.py': 'def f(): pass\n', 'data/x.jsonl': '{}\n' };

  it('does not depend on creation order', async () => {
    const keys = Object.keys(files);
    const forward = await tree('fwd', files, keys);
    const backward = await tree('bwd', files, [...keys].reverse());
    expect((await contentHash(forward)).hash).toBe((await contentHash(backward)).hash);
  });

  it('does not depend on mtimes', async () => {
    const root = await tree('m', files);
    const before = (await contentHash(root)).hash;
    await utimes(join(root, 'src/tool.py'), new Date('2001-01-01'), new Date('2001-01-01'));
    expect((await contentHash(root)).hash).toBe(before);
  });

  it('does not depend on where the folder is', async () => {
    const here = await tree('here', files);
    const there = await tree('elsewhere/deeper/there', files);
    expect((await contentHash(here)).hash).toBe((await contentHash(there)).hash);
  });

  it('does not see empty folders', async () => {
    const root = await tree('e', files);
    const before = (await contentHash(root)).hash;
    await mkdir(join(root, 'empty/nested'), { recursive: true });
    expect((await contentHash(root)).hash).toBe(before);
  });

  it('changes when a file is renamed', async () => {
    const root = await tree('r', files);
    const before = (await contentHash(root)).hash;
    await rename(join(root, 'src/tool.py'), join(root, 'src/tools.py'));
    expect((await contentHash(root)).hash).not.toBe(before);
  });

  it('changes when a single-file asset is renamed', async () => {
    const root = await tree('r1', { 'a.jsonl': 'rows' });
    const before = (await contentHash(join(root, 'a.jsonl'))).hash;
    await rename(join(root, 'a.jsonl'), join(root, 'b.jsonl'));
    expect((await contentHash(join(root, 'b.jsonl'))).hash).not.toBe(before);
  });

  it('changes when content changes, even by one byte of the same size', async () => {
    const root = await tree('c', files);
    const before = (await contentHash(root)).hash;
    await writeFile(join(root, 'data/x.jsonl'), '[]\n');
    expect((await contentHash(root)).hash).not.toBe(before);
  });

  it('keeps same-sized content boundaries apart (ab|c vs a|bc)', async () => {
    const one = await tree('one', { a: 'ab', b: 'c' });
    const two = await tree('two', { a: 'a', b: 'bc' });
    expect((await contentHash(one)).hash).not.toBe((await contentHash(two)).hash);
  });
});

describe('ignore rules', () => {
  it('skips the built-in ignores, and a ! rule cannot bring them back', async () => {
    const kept = { 'flow.dag.yaml': 'x', 'tool.py': 'y' };
    const root = await tree('b', {
      ...kept,
      '.gitignore': '!__pycache__/\n!*.pyc\n',
      '.git/HEAD': 'ref',
      '.promptflow/flow.tools.json': '{}',
      '.runs/r1/out.jsonl': '{}',
      '__pycache__/tool.cpython-312.pyc': 'bytecode',
      'sub/__pycache__/m.pyc': 'bytecode',
      'stray.pyc': 'bytecode',
    });
    const result = await contentHash(root);
    expect(result.files.map((f) => f.path)).toEqual(['.gitignore', 'flow.dag.yaml', 'tool.py']);
    expect(result.hash).toBe(digestFromSpec('folder', { ...kept, '.gitignore': '!__pycache__/\n!*.pyc\n' }));
  });

  it('applies .gitignore with negation and folder patterns', async () => {
    const root = await tree('g', {
      '.gitignore': '*.log\n!keep.log\nbuild/\n',
      'a.log': '', 'keep.log': 'k', 'build/out.js': '', 'src/build.txt': 'b', 'src/deep/z.log': '',
    });
    expect((await listAssetFiles(root)).files.map((f) => f.path)).toEqual([
      '.gitignore', 'keep.log', 'src/build.txt',
    ]);
  });

  it('uses .amlignore instead of .gitignore when both exist', async () => {
    const root = await tree('a', {
      '.amlignore': 'secret.txt\n',
      '.gitignore': 'data/\n',
      'data/x.jsonl': '{}', 'secret.txt': 's',
    });
    expect((await listAssetFiles(root)).files.map((f) => f.path)).toEqual([
      '.amlignore', '.gitignore', 'data/x.jsonl',
    ]);
  });

  it('matches case-sensitively on every OS', async () => {
    const root = await tree('case', { '.gitignore': '*.LOG\n', 'a.log': '', 'b.LOG': '' });
    expect((await listAssetFiles(root)).files.map((f) => f.path)).toEqual(['.gitignore', 'a.log']);
  });

  it('only reads the ignore file at the asset root', async () => {
    const root = await tree('nested', { 'sub/.gitignore': '*.txt\n', 'sub/a.txt': 'a' });
    expect((await listAssetFiles(root)).files.map((f) => f.path)).toEqual(['sub/.gitignore', 'sub/a.txt']);
  });
});

describe('symlinks', () => {
  it('hashes a link to a file inside the asset as the target content under the link path', async () => {
    const root = await tree('s', { 'real.txt': 'payload' });
    await symlink('real.txt', join(root, 'alias.txt'));
    const copy = await tree('copy', { 'real.txt': 'payload', 'alias.txt': 'payload' });
    expect((await contentHash(root)).hash).toBe((await contentHash(copy)).hash);
  });

  it('follows a link to a folder inside the asset', async () => {
    const root = await tree('sd', { 'shared/util.py': 'u' });
    await symlink('shared', join(root, 'linked'));
    expect((await contentHash(root)).files.map((f) => f.path)).toEqual(['linked/util.py', 'shared/util.py']);
  });

  it('refuses a dangling link, naming it', async () => {
    const root = await tree('dl', { 'a.txt': 'a' });
    await symlink('missing.txt', join(root, 'gone.txt'));
    await expectConfigurationError(contentHash(root), /gone\.txt: dangling symlink/);
  });

  it('refuses a link that leaves the asset folder, naming it', async () => {
    await tree('outside', { 'secret.txt': 's' });
    const root = await tree('in', { 'a.txt': 'a' });
    await symlink(join(scratch, 'outside/secret.txt'), join(root, 'escape.txt'));
    await expectConfigurationError(contentHash(root), /escape\.txt: symlink points outside the asset folder/);
  });

  it('refuses a link to a folder that contains it', async () => {
    const root = await tree('cy', { 'sub/a.txt': 'a' });
    await symlink('..', join(root, 'sub/up'));
    await expectConfigurationError(contentHash(root), /sub\/up: symlink to a folder that contains it/);
  });

  it('does not look at ignored links', async () => {
    const root = await tree('il', { '.gitignore': 'tmp-link\n', 'a.txt': 'a' });
    await symlink('/nonexistent/elsewhere', join(root, 'tmp-link'));
    expect((await contentHash(root)).files.map((f) => f.path)).toEqual(['.gitignore', 'a.txt']);
  });
});

describe('names and errors', () => {
  it('hashes a decomposed (NFD) name like its composed (NFC) form', async () => {
    const nfc = await tree('nfc', { 'caf\u00e9.txt': 'c' });
    const nfd = await tree('nfd', { 'cafe\u0301.txt': 'c' });
    expect((await contentHash(nfd)).hash).toBe((await contentHash(nfc)).hash);
  });

  it.runIf(process.platform === 'linux')('refuses a file name that is not UTF-8', async () => {
    const root = await tree('bad', {});
    await writeFile(Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0x66, 0xff, 0x2e])]), 'x');
    await expectConfigurationError(contentHash(root), /file name is not valid UTF-8/);
  });

  it('reports a missing path as a user error', async () => {
    await expectConfigurationError(contentHash(join(scratch, 'nope')), /nope: no such file or folder/);
  });
});

describe('hashCommand', () => {
  it('returns the hash and the file paths, as `llmops hash --json` prints them', async () => {
    const root = await tree('cmd', { 'a.txt': 'hello', 'sub/b.txt': 'x' });
    expect(await hashCommand(root)).toEqual({
      hash: 'sha256:e6c38905f49e99e27d83f90cc42f5f739a3006be5a01fda24d016466ea88b03a',
      files: ['a.txt', 'sub/b.txt'],
    });
  });
});
