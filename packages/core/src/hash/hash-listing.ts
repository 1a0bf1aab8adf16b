import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
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
  /**
   * How many files may be open and read ahead of the one being hashed. Small files are read
   * whole while earlier ones hash, which hides the per-file latency of open/read/close; the
   * digest is still fed strictly in listing order. Default 32.
   */
  readAhead?: number;
}

/** Files up to this size are read whole ahead of time; larger ones are streamed in chunks. */
const WHOLE_FILE_LIMIT = 1024 * 1024;
/** Chunk size for streaming large files; two chunks are in use (one read, one hashed). */
const CHUNK_SIZE = 1024 * 1024;
const DEFAULT_READ_AHEAD = 32;

/** A file opened ahead of its turn: its content if small, else the open handle to stream. */
type Prefetched =
  | { size: number; content: Buffer; handle?: undefined }
  | { size: number; content?: undefined; handle: FileHandle };

/**
 * Feed a listing into SHA-256 in the v1 layout. Memory stays bounded whatever the asset size:
 * at most `readAhead` small files (each <= 1 MiB) are held, and large files pass through two
 * 1 MiB buffers.
 */
export async function hashListing(listing: AssetListing, options: HashOptions = {}): Promise<ContentHashResult> {
  const readAhead = Math.max(1, options.readAhead ?? DEFAULT_READ_AHEAD);
  const digest = createHash('sha256');
  digest.update(preambleBytes(listing.kind, listing.files.length));

  const hashed: HashedFile[] = [];
  const inFlight: Promise<Prefetched>[] = [];
  let nextToOpen = 0;
  const openMore = () => {
    while (nextToOpen < listing.files.length && inFlight.length < readAhead) {
      const pending = prefetch(listing.files[nextToOpen++]!);
      // Errors are raised when the file's turn comes; until then, keep Node from reporting
      // them as unhandled.
      pending.catch(() => {});
      inFlight.push(pending);
    }
  };

  try {
    for (const file of listing.files) {
      openMore();
      const prefetched = await inFlight.shift()!;
      digest.update(entryHeaderBytes(file.path, prefetched.size));
      if (prefetched.content) {
        digest.update(prefetched.content);
      } else {
        try {
          await streamInto(digest, prefetched.handle, prefetched.size, file);
        } finally {
          await prefetched.handle.close();
        }
      }
      hashed.push({ path: file.path, size: prefetched.size });
    }
  } finally {
    // On failure, files opened ahead must still be closed.
    for (const pending of inFlight) {
      await pending.then((p) => p.handle?.close()).catch(() => {});
    }
  }

  return {
    hash: formatDigest(digest.digest('hex')),
    algorithm: CONTENT_HASH_ALGORITHM,
    kind: listing.kind,
    files: hashed,
  };
}

async function prefetch(file: AssetFile): Promise<Prefetched> {
  const handle = await open(file.absolutePath, 'r');
  try {
    const { size } = await handle.stat();
    if (size > WHOLE_FILE_LIMIT) return { size, handle };
    const content = Buffer.allocUnsafe(size);
    await readExactly(handle, content, size, 0, file);
    await handle.close();
    return { size, content };
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
}

/**
 * Streams `size` bytes with double buffering: the next chunk is being read by the thread pool
 * while this one is hashed, so disk and CPU overlap.
 */
async function streamInto(digest: Hash, handle: FileHandle, size: number, file: AssetFile): Promise<void> {
  const buffers = [Buffer.allocUnsafe(CHUNK_SIZE), Buffer.allocUnsafe(CHUNK_SIZE)];
  let position = 0;
  let which = 0;
  const readChunk = (buffer: Buffer, at: number) =>
    readExactly(handle, buffer, Math.min(CHUNK_SIZE, size - at), at, file);

  let pending = readChunk(buffers[which]!, position);
  while (position < size) {
    const length = await pending;
    const chunk = buffers[which]!.subarray(0, length);
    position += length;
    which = 1 - which;
    if (position < size) pending = readChunk(buffers[which]!, position);
    digest.update(chunk);
  }
}

/** Fills `length` bytes from `position`; a short file means it changed while being hashed. */
async function readExactly(
  handle: FileHandle,
  buffer: Buffer,
  length: number,
  position: number,
  file: AssetFile,
): Promise<number> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      throw new ConfigurationError(`${file.absolutePath}: file changed while it was being hashed`);
    }
    filled += bytesRead;
  }
  return filled;
}
