/**
 * Start-up cost of every bundled entry: process start to exit on a dry run (the experiment
 * stage plans the contract fixture; the other stages parse their inputs and refuse or fail
 * fast), as the difference to a bare `node -e ''` measured interleaved in the same invocation.
 * Also the size of every bundle. Run: npx tsx bench/startup.ts [--runs 20]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { azurePipelinesInputName, pascalCase } from '@llmops/core';
import { stages } from '@llmops/core/stages/index';
import { bundleTargets, repoRoot } from '../scripts/bundle.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 20;
const config = path.join(repoRoot, 'tests/fixtures/contract/experiment.yaml');

/** The smallest realistic invocation of each stage: a dry run where there is one. */
function stageInputs(stage: string): Record<string, string> {
  if (stage === 'experiment') return { config, 'dry-run': 'true', variants: 'all' };
  if (stage === 'smoke-test') return { 'endpoint-url': 'https://127.0.0.1:1/score' };
  return {};
}

interface Case {
  label: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

function cases(): Case[] {
  const list: Case[] = [];
  for (const stage of stages) {
    const inputs = stageInputs(stage.name);
    const ghEnv: NodeJS.ProcessEnv = { GITHUB_OUTPUT: '/dev/null' };
    const adoEnv: NodeJS.ProcessEnv = { AGENT_TEMPDIRECTORY: '/tmp' };
    for (const [name, value] of Object.entries(inputs)) {
      ghEnv[`INPUT_${name.toUpperCase()}`] = value;
      adoEnv[`INPUT_${azurePipelinesInputName(name).toUpperCase()}`] = value;
    }
    list.push({ label: `action ${stage.name}`, args: [`actions/${stage.name}/dist/index.js`], env: ghEnv });
    list.push({ label: `task ${pascalCase(stage.name)}V1`, args: [`tasks/${pascalCase(stage.name)}V1/dist/index.js`], env: adoEnv });
  }
  list.push({
    label: 'cli experiment --dry-run',
    args: ['packages/cli/dist/llmops.js', 'experiment', '--config', config, '--dry-run', '--variants', 'all', '--json'],
    env: {},
  });
  return list;
}

function timeOnce(args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  spawnSync(process.execPath, args, { cwd: repoRoot, env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const rows: string[] = [];
let worstP95 = 0;
for (const { label, args, env } of cases()) {
  const deltas: number[] = [];
  timeOnce(args, env); // warm the file cache
  for (let i = 0; i < runs; i++) {
    // Interleaved, so machine noise hits both sides alike.
    const bare = timeOnce(['-e', ''], {});
    const entry = timeOnce(args, env);
    deltas.push(entry - bare);
  }
  deltas.sort((a, b) => a - b);
  const median = percentile(deltas, 50);
  const p95 = percentile(deltas, 95);
  worstP95 = Math.max(worstP95, p95);
  rows.push(`| ${label} | ${median.toFixed(0)} | ${p95.toFixed(0)} |`);
}

/** Entry file alone (what every start parses) and the whole folder with its on-demand chunks. */
const sizes = bundleTargets().map((target) => {
  const dir = path.join(repoRoot, target.outDir);
  const entry = fs.statSync(path.join(dir, target.outName)).size;
  // Everything in the folder: on-demand chunks and the actions' undici.cjs (loaded on first proxy use).
  const files = fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((file) => file.isFile() && /\.c?js$/.test(file.name))
    .map((file) => fs.statSync(path.join(file.parentPath, file.name)).size);
  const total = files.reduce((sum, size) => sum + size, 0);
  return { file: path.join(target.outDir, target.outName), entry, total, largest: Math.max(...files) };
});

console.log(`Start-up over bare \`node -e ''\`, ${runs} interleaved runs each (ms):\n`);
console.log('| entry | median | p95 |\n| --- | --- | --- |');
console.log(rows.join('\n'));
console.log(`\nworst p95: ${worstP95.toFixed(0)} ms (goal <= 150 ms)\n`);
console.log('| bundle | entry (KiB) | whole folder (KiB) |\n| --- | --- | --- |');
const kib = (bytes: number) => (bytes / 1024).toFixed(0);
for (const { file, entry, total } of sizes) console.log(`| ${file} | ${kib(entry)} | ${kib(total)} |`);
const largest = Math.max(...sizes.map((size) => size.largest));
console.log(`\nlargest single file: ${(largest / 1024 / 1024).toFixed(2)} MiB (goal <= 3 MB)`);
