import { createHash, type Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, read, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { ConfigurationError } from '../errors.js';
import { CONTENT_HASH_ALGORITHM, entryHeaderBytes, formatDigest, preambleBytes } from './layout.js';
import type { AssetFile, AssetListing } from './list-files.js';

export interface HashedFile {
  path: string;
  size: number;
}

export interface ContentHashResult {
  /** `sha256:<64 hex>`; see docs/content-hash.md. */
  hash: string;
  /** The algorithm version the hash was computed with, e.g. `llmops-content-hash-v1`. */
  algorithm: string;
  /** `file` for a single-file asset, `folder` otherwise. */
  kind: AssetListing['kind'];
  /** Every file the hash covers, in hash order, with the size that was hashed. */
  files: HashedFile[];
}

export interface HashOptions {
  /** Stops hashing between chunks (e.g. on Ctrl-C or a step timeout); rejects with its reason. */
  signal?: AbortSignal;
}

/**
 * Files up to this size are read in one synchronous call; larger ones are streamed.
 *
 * Why synchronous: for the small files flows and datasets are made of, the bytes are usually in
 * the page cache and each libuv thread-pool round trip (open, fstat, read, close) costs more
 * than the read itself. Measured on a 10,000-file tree, synchronous reads hashed 3-4x faster
 * than asynchronous reads with 4-64 files in flight. The event loop is given back regularly
 * (see YIELD_EVERY_MS) so timers, such as a registry lock's heartbeat, keep running.
 */
const SMALL_FILE_LIMIT = 256 * 1024;
/** Chunk size for streaming large files; two chunks are in use (one being read, one hashed). */
const CHUNK_SIZE = 1024 * 1024;
const YIELD_EVERY_MS = 50;

const readAt = promisify(read);

/**
 * Feed a listing into SHA-256 in the v1 layout, in one pass over the bytes. Memory is two
 * 1 MiB buffers allocated once, whatever the asset size.
 */
export async function hashListing(listing: AssetListing, options: HashOptions = {}): Promise<ContentHashResult> {
  const { signal } = options;
  const digest = createHash('sha256');
  digest.update(preambleBytes(listing.kind, listing.files.length));
  const buffers: [Buffer, Buffer] = [Buffer.allocUnsafeSlow(CHUNK_SIZE), Buffer.allocUnsafeSlow(CHUNK_SIZE)];
  const hashed: HashedFile[] = [];
  let lastYield = performance.now();

  for (const file of listing.files) {
    signal?.throwIfAborted();
    const fd = openForHashing(file);
    try {
      const { size } = fstatSync(fd);
      digest.update(entryHeaderBytes(file.path, size));
      if (size <= SMALL_FILE_LIMIT) {
        digest.update(buffers[0].subarray(0, readExactlySync(fd, buffers[0], size, 0, file)));
      } else {
        await streamInto(digest, fd, size, file, buffers, signal);
      }
      hashed.push({ path: file.path, size });
    } finally {
      closeSync(fd);
    }
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
  }

  return {
    hash: formatDigest(digest.digest('hex')),
    algorithm: CONTENT_HASH_ALGORITHM,
    kind: listing.kind,
    files: hashed,
  };
}

/**
 * Streams `size` bytes with double buffering: the next chunk is being read by the thread pool
 * while this one is hashed, so disk and CPU overlap on large files.
 */
async function streamInto(
  digest: Hash,
  fd: number,
  size: number,
  file: AssetFile,
  buffers: [Buffer, Buffer],
  signal: AbortSignal | undefined,
): Promise<void> {
  const readChunk = async (buffer: Buffer, position: number) => {
    const length = Math.min(CHUNK_SIZE, size - position);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await readAt(fd, buffer, filled, length - filled, position + filled);
      if (bytesRead === 0) throw changedWhileHashing(file);
      filled += bytesRead;
    }
    return filled;
  };

  let position = 0;
  let which = 0;
  let pending = readChunk(buffers[which], position);
  try {
    while (position < size) {
      const length = await pending;
      const chunk = buffers[which].subarray(0, length);
      position += length;
      which = 1 - which;
      signal?.throwIfAborted();
      if (position < size) pending = readChunk(buffers[which], position);
      digest.update(chunk);
    }
  } finally {
    // Never let the caller close the fd while a read into it is still in flight.
    await pending.catch(() => {});
  }
}

/** Fills `length` bytes from `position`; a short file means it changed while being hashed. */
function readExactlySync(fd: number, buffer: Buffer, length: number, position: number, file: AssetFile): number {
  let filled = 0;
  while (filled < length) {
    const bytesRead = readSync(fd, buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) throw changedWhileHashing(file);
    filled += bytesRead;
  }
  return filled;
}

function openForHashing(file: AssetFile): number {
  try {
    return openSync(file.absolutePath, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw changedWhileHashing(file);
    throw error;
  }
}

function changedWhileHashing(file: AssetFile): ConfigurationError {
  return new ConfigurationError(`${file.absolutePath}: file changed while it was being hashed`);
}
