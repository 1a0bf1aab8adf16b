/**
 * The measured side of bench/hash.ts, in its own process so its peak RSS is ours alone:
 * hashes <path> once and prints {hash, files, bytes, ms, maxRssKiB} as JSON.
 *
 *   node --import tsx bench/hash-child.ts <path>
 */
import { contentHash } from '../packages/core/src/hash/index.js';

const path = process.argv[2];
if (!path) throw new Error('usage: hash-child.ts <path>');

const started = process.hrtime.bigint();
const result = await contentHash(path);
const ms = Number(process.hrtime.bigint() - started) / 1e6;

process.stdout.write(
  `${JSON.stringify({
    hash: result.hash,
    files: result.files.length,
    bytes: result.files.reduce((sum, file) => sum + file.size, 0),
    ms,
    // Linux reports kibibytes: the high-water mark of the whole process, Node itself included.
    maxRssKiB: process.resourceUsage().maxRSS,
  })}\n`,
);
