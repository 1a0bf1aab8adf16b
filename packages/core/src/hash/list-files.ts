import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { ConfigurationError } from '../errors.js';
import type { ContentKind } from './layout.js';

/** One file of an asset: the name the hash and the registries use, and where its bytes are. */
export interface AssetFile {
  /** NFC, '/'-separated, relative to the asset root; for a single-file asset, its base name. */
  path: string;
  /** Where to read the bytes; for a symlink, a path through the link (reads its target). */
  absolutePath: string;
}

export interface AssetListing {
  kind: ContentKind;
  /** Absolute path of the asset (the file, or the folder the relative paths start from). */
  root: string;
  /** Ignore-filtered, sorted by the UTF-8 bytes of `path`: the hash order and the copy list. */
  files: AssetFile[];
}

/**
 * Never part of an asset, whatever the ignore files say (a `!` rule cannot bring them back):
 * caches and run records that differ between machines and would make equal flows hash apart.
 */
export const BUILT_IN_IGNORES: readonly string[] = [
  '.git/',
  '.promptflow/',
  '.runs/',
  '__pycache__/',
  '*.pyc',
];

/** The first of these found at the asset root supplies the user's rules (as azure-ai-ml does). */
export const IGNORE_FILE_NAMES: readonly string[] = ['.amlignore', '.gitignore'];

/**
 * The files an asset consists of. A folder is walked with the ignore rules of docs/content-hash.md;
 * a single file is the asset by itself (ignore rules do not apply to a file named explicitly).
 */
export async function listAssetFiles(assetPath: string): Promise<AssetListing> {
  const given = resolve(assetPath);
  const target = await statOrExplain(given);
  if (target.isFile()) {
    return { kind: 'file', root: given, files: [{ path: nfcName(basename(given), given), absolutePath: given }] };
  }
  if (!target.isDirectory()) {
    throw new ConfigurationError(`${assetPath}: not a file or a folder, cannot hash it`);
  }

  const rootRealPath = await realpath(given);
  const walker = new FolderWalker(given, rootRealPath, await loadIgnoreRules(given));
  await walker.walk(given, '', rootRealPath, [rootRealPath]);
  const files = sortByPathBytes(walker.files);
  rejectDuplicatePaths(files, assetPath);
  return { kind: 'folder', root: given, files };
}

async function statOrExplain(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) throw new ConfigurationError(`${path}: no such file or folder`);
    if (isErrno(error, 'ELOOP')) throw new ConfigurationError(`${path}: symlink loop`);
    throw error;
  }
}

interface IgnoreRules {
  builtIn: Ignore;
  user: Ignore;
}

async function loadIgnoreRules(root: string): Promise<IgnoreRules> {
  // Case-sensitive like git on Linux, so the rules select the same files on every OS.
  const builtIn = ignore({ ignorecase: false }).add([...BUILT_IN_IGNORES]);
  const user = ignore({ ignorecase: false });
  for (const name of IGNORE_FILE_NAMES) {
    const text = await readFile(join(root, name), 'utf8').catch((error: unknown) => {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'EISDIR')) return undefined;
      throw error;
    });
    if (text !== undefined) {
      user.add(text);
      break;
    }
  }
  return { builtIn, user };
}

class FolderWalker {
  readonly files: AssetFile[] = [];

  constructor(
    private readonly root: string,
    private readonly rootRealPath: string,
    private readonly rules: IgnoreRules,
  ) {}

  /**
   * @param directory path to read (may pass through followed symlinks)
   * @param relative its asset-relative path, '' for the root
   * @param realDirectory its resolved path, to tell where links point
   * @param ancestors resolved paths of the directories being walked: a link to one is a cycle
   */
  async walk(directory: string, relative: string, realDirectory: string, ancestors: string[]): Promise<void> {
    const entries = await readdir(directory, { withFileTypes: true, encoding: 'buffer' });
    for (const entry of entries) {
      const diskName = decodeName(entry, directory);
      const name = nfcName(diskName, join(directory, diskName));
      const path = relative === '' ? name : `${relative}/${name}`;
      const absolutePath = join(directory, diskName);

      if (entry.isDirectory()) {
        if (this.ignored(`${path}/`)) continue;
        const realChild = join(realDirectory, diskName);
        await this.walk(absolutePath, path, realChild, [...ancestors, realChild]);
      } else if (entry.isFile()) {
        if (!this.ignored(path)) this.files.push({ path, absolutePath });
      } else if (entry.isSymbolicLink()) {
        await this.visitLink(absolutePath, path, ancestors);
      } else {
        throw new ConfigurationError(`${absolutePath}: not a regular file, folder or symlink, cannot hash it`);
      }
    }
  }

  /**
   * A link stands for its target under the link's own path, provided the target is inside the
   * asset: the hash covers what a copy of the folder would contain, and nothing from elsewhere.
   */
  private async visitLink(absolutePath: string, path: string, ancestors: string[]): Promise<void> {
    if (this.ignored(path)) return;
    let target: string;
    try {
      target = await realpath(absolutePath);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new ConfigurationError(`${absolutePath}: dangling symlink`);
      if (isErrno(error, 'ELOOP')) throw new ConfigurationError(`${absolutePath}: symlink loop`);
      throw error;
    }
    if (target !== this.rootRealPath && !target.startsWith(this.rootRealPath + sep)) {
      throw new ConfigurationError(
        `${absolutePath}: symlink points outside the asset folder ${this.root} (to ${target})`,
      );
    }
    const targetStat = await stat(target);
    if (targetStat.isFile()) {
      this.files.push({ path, absolutePath });
    } else if (targetStat.isDirectory()) {
      if (this.ignored(`${path}/`)) return;
      if (ancestors.includes(target)) {
        throw new ConfigurationError(`${absolutePath}: symlink to a folder that contains it (a cycle)`);
      }
      await this.walk(absolutePath, path, target, [...ancestors, target]);
    } else {
      throw new ConfigurationError(`${absolutePath}: symlink to something that is not a file or folder`);
    }
  }

  private ignored(path: string): boolean {
    return this.rules.builtIn.ignores(path) || this.rules.user.ignores(path);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** File names are bytes on Linux; a name that is not UTF-8 has no portable path to hash. */
function decodeName(entry: Dirent<Buffer>, directory: string): string {
  try {
    return strictUtf8.decode(entry.name);
  } catch {
    const shown = join(directory, entry.name.toString('utf8'));
    throw new ConfigurationError(`${shown}: file name is not valid UTF-8`);
  }
}

/** macOS may report names decomposed (NFD); hashing NFC gives the same path on every OS. */
function nfcName(name: string, describedAs: string): string {
  if (name.includes('\0')) throw new ConfigurationError(`${describedAs}: file name contains NUL`);
  return name.normalize('NFC');
}

/** comparePaths' order, encoding each path once instead of once per comparison. */
function sortByPathBytes(files: AssetFile[]): AssetFile[] {
  return files
    .map((file) => ({ file, key: Buffer.from(file.path, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.key, b.key))
    .map(({ file }) => file);
}

function rejectDuplicatePaths(sorted: AssetFile[], assetPath: string): void {
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.path === sorted[i - 1]!.path) {
      throw new ConfigurationError(
        `${assetPath}: two files have the same name after Unicode normalisation: ${sorted[i]!.path}`,
      );
    }
  }
}

export function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}
