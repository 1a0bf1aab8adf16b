import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { hashListing } from '../hash/hash-listing.js';
import { isErrno, listAssetFiles, type AssetListing } from '../hash/list-files.js';
import { CONTENT_HASH_ALGORITHM, type ContentKind } from '../hash/layout.js';
import { lockAsset, type AssetLockOptions } from './local/asset-lock.js';
import type { AssetKind, AssetVersion, RegisterRequest, Registry } from './types.js';

/**
 * A registry in a plain directory, for laptops, Jenkins agents and tests:
 *
 *   <root>/<kind>/<name>/<version>/version.json   the record (hash, tags, properties, ...)
 *   <root>/<kind>/<name>/<version>/content/       the copied files (a file asset: content/<file>)
 *   <root>/<kind>/<name>/.staging-*               a registration in progress, or a crashed one
 *   <root>/<kind>/<name>/.lock                    held by the process creating a version
 *
 * Content sits in its own folder so that an asset file named version.json cannot collide with
 * the record. Versions are "1", "2", ...; a version exists exactly when <version>/version.json
 * does, and "latest" is the highest such number.
 *
 * Publishing is one atomic rename: content and version.json are written into a private staging
 * folder next to the versions (same filesystem), then the folder is renamed to its number. A
 * reader therefore sees a version complete or not at all, and a crash leaves only a .staging-*
 * folder, which no reader counts and the next writer removes.
 */
export class LocalRegistry implements Registry {
  readonly kind = 'local' as const;
  readonly root: string;

  constructor(
    root: string,
    private readonly options: { lock?: AssetLockOptions } = {},
  ) {
    this.root = resolve(root);
  }

  async latest(kind: AssetKind, name: string): Promise<AssetVersion | undefined> {
    const assetDirectory = this.assetDirectory(kind, name);
    for (const version of (await versionFolders(assetDirectory)).reverse()) {
      const record = await readRecord(join(assetDirectory, String(version)));
      if (record) return toAssetVersion(record, join(assetDirectory, String(version)));
    }
    return undefined;
  }

  async register(request: RegisterRequest): Promise<AssetVersion & { created: boolean }> {
    const assetDirectory = this.assetDirectory(request.kind, request.name);

    // Unchanged content is the common case in CI: answer it without locking or writing anything.
    const newest = await this.latest(request.kind, request.name);
    if (newest?.hash === request.hash) return { ...newest, created: false };

    await mkdir(assetDirectory, { recursive: true });
    const lock = await lockAsset(assetDirectory, this.options.lock);
    try {
      // Another process may have registered this content while we waited for the lock.
      const current = await this.latest(request.kind, request.name);
      if (current?.hash === request.hash) return { ...current, created: false };

      await removeAbandonedStaging(assetDirectory);
      const existing = await versionFolders(assetDirectory);
      // Numbered folders without a record are never reused: they are not ours to delete.
      const version = String((existing.at(-1) ?? 0) + 1);
      const versionDirectory = join(assetDirectory, version);

      const staging = await mkdtemp(join(assetDirectory, STAGING_PREFIX));
      try {
        const contentPath = await stageContent(request, staging);
        const record: VersionRecord = {
          kind: request.kind,
          name: request.name,
          version,
          hash: request.hash,
          hashAlgorithm: CONTENT_HASH_ALGORITHM,
          ...(request.description !== undefined && { description: request.description }),
          tags: { ...request.tags },
          properties: { ...request.properties },
          createdAt: new Date().toISOString(),
          contentPath,
          uri: join(versionDirectory, contentPath),
        };
        await writeFile(join(staging, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
        lock.assertHeld();
        await rename(staging, versionDirectory);
        return { ...toAssetVersion(record, versionDirectory), created: true };
      } catch (error) {
        await rm(staging, { recursive: true, force: true });
        throw error;
      }
    } finally {
      await lock.release();
    }
  }

  private assetDirectory(kind: AssetKind, name: string): string {
    if (kind !== 'data' && kind !== 'model') {
      throw new ConfigurationError(`unknown asset kind ${JSON.stringify(kind)}: expected "data" or "model"`);
    }
    validateAssetName(name);
    return join(this.root, kind, name);
  }
}

/** Azure ML's rule for asset names, so a name that works locally also works in a workspace. */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export function validateAssetName(name: string): void {
  if (!ASSET_NAME.test(name)) {
    throw new ConfigurationError(
      `invalid asset name ${JSON.stringify(name)}: use 1-255 letters, digits, '-', '_' or '.', starting with a letter or digit`,
    );
  }
}

const RECORD_FILE = 'version.json';
const CONTENT_FOLDER = 'content';
const STAGING_PREFIX = '.staging-';
const VERSION_NUMBER = /^[1-9][0-9]*$/;
const COPY_CONCURRENCY = 16;

/** version.json: the AssetVersion fields plus what is needed to find and check the content. */
interface VersionRecord {
  kind: AssetKind;
  name: string;
  version: string;
  hash: string;
  hashAlgorithm: string;
  description?: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  createdAt: string;
  /** Relative to the version folder: "content" for a folder, "content/<file>" for a file. */
  contentPath: string;
  /** Absolute path at registration time, for people reading the file; code uses contentPath. */
  uri: string;
}

function toAssetVersion(record: VersionRecord, versionDirectory: string): AssetVersion {
  return {
    kind: record.kind,
    name: record.name,
    version: record.version,
    hash: record.hash,
    tags: record.tags,
    properties: record.properties,
    // Recomputed so a registry folder that was moved or mounted elsewhere still resolves.
    uri: join(versionDirectory, ...record.contentPath.split('/')),
    createdAt: record.createdAt,
  };
}

/** Numbered folders of an asset, ascending (with or without a record). */
async function versionFolders(assetDirectory: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(assetDirectory);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  return names
    .filter((name) => VERSION_NUMBER.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

async function readRecord(versionDirectory: string): Promise<VersionRecord | undefined> {
  const file = join(versionDirectory, RECORD_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as VersionRecord;
  } catch (error) {
    throw new ConfigurationError(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

/** Only the lock holder stages, so under the lock every staging folder is a crashed writer's. */
async function removeAbandonedStaging(assetDirectory: string): Promise<void> {
  for (const name of await readdir(assetDirectory)) {
    if (name.startsWith(STAGING_PREFIX)) {
      await rm(join(assetDirectory, name), { recursive: true, force: true });
    }
  }
}

/**
 * Copy exactly the files the hash covered into <staging>/content, then hash the copy: what is
 * stored is proven to be what was hashed, even if the source changed in between.
 * Returns the content path relative to the version folder.
 */
async function stageContent(request: RegisterRequest, staging: string): Promise<string> {
  const source = await listAssetFiles(request.sourcePath);
  const listed = source.files.map((file) => file.path);
  if (listed.length !== request.files.length || listed.some((path, i) => path !== request.files[i])) {
    throw new ConfigurationError(
      `${request.sourcePath}: the files changed since the content hash was computed; hash again`,
    );
  }

  const contentDirectory = join(staging, CONTENT_FOLDER);
  await mkdir(contentDirectory);
  const copy: AssetListing = {
    kind: source.kind,
    root: contentDirectory,
    files: source.files.map((file) => ({ path: file.path, absolutePath: join(contentDirectory, ...file.path.split('/')) })),
  };

  // One mkdir per folder, shared by the copies that land in it (they run concurrently).
  const folders = new Map<string, Promise<unknown>>([[contentDirectory, Promise.resolve()]]);
  await forEachLimited(source.files, COPY_CONCURRENCY, async (file, i) => {
    const target = copy.files[i]!.absolutePath;
    const folder = dirname(target);
    if (!folders.has(folder)) folders.set(folder, mkdir(folder, { recursive: true }));
    await folders.get(folder);
    // A copy-on-write clone where the filesystem offers one, a plain copy otherwise.
    await copyFile(file.absolutePath, target, fsConstants.COPYFILE_FICLONE);
  });

  const { hash } = await hashListing(copy);
  if (hash !== request.hash) {
    throw new ConfigurationError(
      `${request.sourcePath}: the content changed since it was hashed (expected ${request.hash}, copied ${hash}); hash again`,
    );
  }
  return contentPathFor(source.kind, listed);
}

function contentPathFor(kind: ContentKind, files: string[]): string {
  return kind === 'file' ? `${CONTENT_FOLDER}/${files[0]}` : CONTENT_FOLDER;
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  action: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        await action(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  // Every worker finishes before we return or throw, so the caller can clean up safely.
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
