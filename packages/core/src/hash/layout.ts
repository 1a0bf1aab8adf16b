/**
 * The byte layout of llmops-content-hash-v1, exactly as docs/content-hash.md specifies it.
 * Everything that decides which bytes enter the digest lives here, so the spec and the code
 * can be compared side by side. Changing anything in this file changes every hash: bump the
 * algorithm version instead.
 *
 *   "llmops-content-hash-v1" NUL  <kind> NUL  <file count> NUL
 *   then for each file, in order of the UTF-8 bytes of its path:
 *     <path> NUL  <size> NUL  <size bytes of content>
 *
 * <kind> is "file" or "folder"; numbers are ASCII decimal without leading zeros; <path> is
 * the NFC-normalised, '/'-separated path relative to the asset root, in UTF-8. A path never
 * contains NUL and the content length is declared before the content, so the stream parses in
 * exactly one way: no two different assets can feed the same bytes to SHA-256.
 */
export const CONTENT_HASH_ALGORITHM = 'llmops-content-hash-v1';

/** The hash string is `sha256:` followed by 64 lower-case hex digits. */
export const HASH_PREFIX = 'sha256:';

/** A single file asset and a folder holding only that file are different assets. */
export type ContentKind = 'file' | 'folder';

const NUL = '\0';

export function preambleBytes(kind: ContentKind, fileCount: number): Buffer {
  return Buffer.from(`${CONTENT_HASH_ALGORITHM}${NUL}${kind}${NUL}${fileCount}${NUL}`, 'utf8');
}

export function entryHeaderBytes(path: string, size: number): Buffer {
  return Buffer.from(`${path}${NUL}${size}${NUL}`, 'utf8');
}

/** The order files are hashed (and listed) in: by the UTF-8 bytes of the path, not by locale. */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function formatDigest(hexDigest: string): string {
  return `${HASH_PREFIX}${hexDigest}`;
}
