/**
 * Deterministic content hash of a file or folder asset (docs/content-hash.md): the same bytes
 * under the same relative paths give the same hash on any OS, at any location, whatever the
 * mtimes or creation order. register-if-changed compares it with the newest registered version.
 */
import { hashListing, type ContentHashResult, type HashOptions } from './hash-listing.js';
import { listAssetFiles } from './list-files.js';

export { hashListing, type ContentHashResult, type HashedFile, type HashOptions } from './hash-listing.js';
export {
  BUILT_IN_IGNORES,
  IGNORE_FILE_NAMES,
  listAssetFiles,
  type AssetFile,
  type AssetListing,
} from './list-files.js';
export { CONTENT_HASH_ALGORITHM, HASH_PREFIX, comparePaths, type ContentKind } from './layout.js';

/** List the asset's files (ignore rules applied, sorted) and hash them in one pass over the bytes. */
export async function contentHash(path: string, options?: HashOptions): Promise<ContentHashResult> {
  return hashListing(await listAssetFiles(path), options);
}

/** What `llmops hash <path> --json` prints. */
export interface HashCommandOutput {
  hash: string;
  files: string[];
}

/** The host-independent body of `llmops hash <path> [--json]`; the CLI only prints it. */
export async function hashCommand(path: string): Promise<HashCommandOutput> {
  const { hash, files } = await contentHash(path);
  return { hash, files: files.map((file) => file.path) };
}
