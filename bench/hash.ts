/**
 * Content hash throughput and memory against sha256sum, on the same bytes, in one invocation.
 *
 *   npx tsx bench/hash.ts [--runs 5] [--results bench/RESULTS-hash.md] [--keep]
 *
 * Workloads (written under bench/.work/hash, removed at the end unless --keep):
 *   - one 1 GiB file;
 *   - a tree of 10,000 files, sizes 1-64 KiB from a seeded PRNG, 100 folders of 100 files.
 * File bytes are an AES-128-CTR keystream with a fixed key, so every run hashes identical data.
 *
 * Baselines, each run as a shell would run it:
 *   - file: `sha256sum <file>`
 *   - tree: `find <tree> -type f -print0 | xargs -0 sha256sum` (one digest per file, the way
 *     people check a folder; xargs batches files so process start-up is amortised)
 *   - for context, `openssl dgst -sha256` the same way (coreutils may lack SHA-NI code paths).
 * Ours: `node --import tsx bench/hash-child.ts <path>`; the child reports the time spent in
 * contentHash() (listing + hashing) and its peak RSS. The Node start-up time is reported too
 * (wall column) but not counted in the ratio, as a CLI starts Node once for the whole stage.
 * One warm-up round first (fills the page cache for everybody), then --runs rounds, alternating
 * tools; figures are medians.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const workDirectory = join(repoRoot, 'bench', '.work', 'hash');

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    results: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const runs = Math.max(3, Number(args.runs));

const GiB = 1024 ** 3;
const KiB = 1024;
const TREE_FILES = 10_000;
const TREE_FOLDERS = 100;

/** Deterministic bytes: the AES-CTR keystream of a fixed key and IV. */
function keystream(seed: number) {
  const key = Buffer.alloc(16, seed);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
}

/** mulberry32: a small seeded PRNG, enough to pick file sizes reproducibly. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function writeBigFile(path: string, size: number): Promise<void> {
  const cipher = keystream(1);
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  const out = createWriteStream(path);
  for (let written = 0; written < size; written += zeros.length) {
    const chunk = cipher.update(zeros.subarray(0, Math.min(zeros.length, size - written)));
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

async function writeTree(root: string): Promise<number> {
  const random = mulberry32(42);
  const cipher = keystream(2);
  let total = 0;
  for (let folder = 0; folder < TREE_FOLDERS; folder++) {
    await mkdir(join(root, `d${String(folder).padStart(3, '0')}`), { recursive: true });
  }
  for (let i = 0; i < TREE_FILES; i++) {
    const size = KiB + Math.floor(random() * 63 * KiB);
    const folder = `d${String(i % TREE_FOLDERS).padStart(3, '0')}`;
    await writeFile(join(root, folder, `f${String(i).padStart(5, '0')}.bin`), cipher.update(Buffer.alloc(size)));
    total += size;
  }
  return total;
}

interface Timed {
  seconds: number;
}

function timeShell(command: string): Timed {
  const started = process.hrtime.bigint();
  const result = spawnSync('bash', ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`${command} exited with ${result.status}`);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

interface OursRun {
  seconds: number;
  wallSeconds: number;
  maxRssMiB: number;
  hash: string;
  bytes: number;
}

function timeOurs(path: string): OursRun {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'hash-child.ts'), path], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`hash-child exited with ${result.status}`);
  const report = JSON.parse(result.stdout) as { hash: string; bytes: number; ms: number; maxRssKiB: number };
  return { seconds: report.ms / 1000, wallSeconds, maxRssMiB: report.maxRssKiB / 1024, hash: report.hash, bytes: report.bytes };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

interface WorkloadResult {
  name: string;
  bytes: number;
  files: number;
  sha256sum: number;
  openssl: number;
  ours: number;
  oursWall: number;
  oursRssMiB: number;
}

function measure(name: string, path: string, files: number, baseline: string, reference: string): WorkloadResult {
  const samples = { sha256sum: [] as number[], openssl: [] as number[], ours: [] as OursRun[] };
  for (let round = 0; round <= runs; round++) {
    const sha = timeShell(baseline);
    const ssl = timeShell(reference);
    const ours = timeOurs(path);
    if (round === 0) continue; // warm-up: page cache, tsx transform cache
    samples.sha256sum.push(sha.seconds);
    samples.openssl.push(ssl.seconds);
    samples.ours.push(ours);
  }
  return {
    name,
    bytes: samples.ours[0]!.bytes,
    files,
    sha256sum: median(samples.sha256sum),
    openssl: median(samples.openssl),
    ours: median(samples.ours.map((r) => r.seconds)),
    oursWall: median(samples.ours.map((r) => r.wallSeconds)),
    oursRssMiB: Math.max(...samples.ours.map((r) => r.maxRssMiB)),
  };
}

const mibPerSecond = (bytes: number, seconds: number) => bytes / (1024 * 1024) / seconds;

function table(results: WorkloadResult[]): string {
  const lines = [
    '| workload | bytes | sha256sum MiB/s | openssl MiB/s | contentHash MiB/s | ratio vs sha256sum (want >= 0.8) | ratio incl. Node start-up | contentHash peak RSS (want <= 150 MB) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${(r.bytes / 1024 / 1024).toFixed(0)} MiB in ${r.files} file(s) | ` +
        `${mibPerSecond(r.bytes, r.sha256sum).toFixed(0)} | ${mibPerSecond(r.bytes, r.openssl).toFixed(0)} | ` +
        `${mibPerSecond(r.bytes, r.ours).toFixed(0)} | ${(r.sha256sum / r.ours).toFixed(2)} | ` +
        `${(r.sha256sum / r.oursWall).toFixed(2)} | ${r.oursRssMiB.toFixed(0)} MiB |`,
    );
  }
  return lines.join('\n');
}

function toolVersion(command: string): string {
  return spawnSync('bash', ['-c', command], { encoding: 'utf8' }).stdout.split('\n')[0]!.trim();
}

async function main(): Promise<void> {
  await rm(workDirectory, { recursive: true, force: true });
  await mkdir(workDirectory, { recursive: true });
  try {
    const bigFile = join(workDirectory, 'big.bin');
    const tree = join(workDirectory, 'tree');
    process.stderr.write('writing 1 GiB file and 10,000-file tree...\n');
    await writeBigFile(bigFile, GiB);
    await writeTree(tree);

    process.stderr.write(`measuring, ${runs} runs + 1 warm-up each...\n`);
    const loadBefore = loadavg()[0]!;
    const results = [
      measure('1 GiB file', bigFile, 1, `sha256sum '${bigFile}'`, `openssl dgst -sha256 '${bigFile}'`),
      measure(
        '10,000 files, 1-64 KiB',
        tree,
        TREE_FILES,
        `find '${tree}' -type f -print0 | xargs -0 sha256sum`,
        `find '${tree}' -type f -print0 | xargs -0 openssl dgst -sha256`,
      ),
    ];

    const machine = [
      `- machine: ${cpus().length} CPU(s) (nproc), ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / GiB).toFixed(0)} GiB RAM, ${process.platform} ${process.arch}`,
      `- node ${process.version}; ${toolVersion('sha256sum --version')}; ${toolVersion('openssl version')}`,
      `- medians of ${runs} runs after one warm-up round; files in the page cache (warm) for every tool`,
      // On a shared machine absolute MiB/s move with the load; the ratios, measured alternately, move much less.
      `- 1-minute load average: ${loadBefore.toFixed(1)} before measuring, ${loadavg()[0]!.toFixed(1)} after (${cpus().length} CPUs)`,
    ].join('\n');
    const report = `${table(results)}\n\n${machine}\n`;
    process.stdout.write(`${report}`);

    if (args.results) {
      await writeFile(join(repoRoot, args.results), resultsDocument(report));
      process.stderr.write(`wrote ${args.results}\n`);
    }
  } finally {
    if (!args.keep) await rm(workDirectory, { recursive: true, force: true });
  }
}

function resultsDocument(report: string): string {
  return `# Content hash benchmark

Command: \`npx tsx bench/hash.ts --runs ${runs} --results ${args.results}\` (bench/hash.ts explains the method).

What is compared, on the same bytes in the same invocation:
- **1 GiB file**: \`sha256sum big.bin\` vs \`contentHash(big.bin)\`.
- **10,000 files** (sizes 1-64 KiB from a seeded PRNG, 100 folders): \`find tree -type f -print0 | xargs -0 sha256sum\`
  (a digest per file, as one checks a folder from a shell) vs \`contentHash(tree)\` (listing, ignore rules, one digest).
- \`openssl dgst -sha256\`, run the same way, for context: it shows what the hardware SHA-256 path reaches.
- contentHash runs in a child process (\`node --import tsx bench/hash-child.ts\`); its time is that of the
  contentHash() call, its memory the child's peak RSS (process.resourceUsage().maxRSS, Node itself included).
  "ratio incl. Node start-up" uses the child's whole wall time instead.
- ratio = sha256sum time / contentHash time (> 1 means faster than sha256sum).

${report}`;
}

await main();
