/**
 * Shared set-up for the register-if-changed tests: a private copy of the fixture experiment per
 * test (tests change its files), metrics documents, and readers for what the stage left behind.
 */
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../harness/runner-faces.js';

export const FIXTURE = path.join(repoRoot, 'tests/fixtures/register');

export interface Workspace {
  /** Temp folder: the experiment is under experiment/, registry and output dirs beside it. */
  root: string;
  config: string;
  registryPath: string;
  outputDir: string;
  file(relative: string): string;
  dispose(): Promise<void>;
}

export async function copyFixture(): Promise<Workspace> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'llmops-register-'));
  const experiment = path.join(root, 'experiment');
  await cp(FIXTURE, experiment, { recursive: true });
  return {
    root,
    config: path.join(experiment, 'experiment.yaml'),
    registryPath: path.join(root, 'registry'),
    outputDir: path.join(root, 'out'),
    file: (relative) => path.join(experiment, ...relative.split('/')),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

/** CLI flags for a local-registry run of the fixture (env pr). */
export function localArgs(workspace: Workspace, ...extra: string[]): string[] {
  return [
    'register-if-changed',
    '--config',
    workspace.config,
    '--env',
    'pr',
    '--registry-path',
    workspace.registryPath,
    '--output-dir',
    workspace.outputDir,
    '--json',
    ...extra,
  ];
}

export interface AssetOutput {
  kind: 'data' | 'model';
  name: string;
  version: string;
  changed: boolean;
  hash: string;
}

export function assetsOf(outputs: Record<string, string>): AssetOutput[] {
  return JSON.parse(outputs.assets ?? '[]') as AssetOutput[];
}

/** `name@version` of every asset, with `*` after a version this run created. */
export function versionsOf(assets: AssetOutput[]): string[] {
  return assets.map((asset) => `${asset.kind}:${asset.name}@${asset.version}${asset.changed ? '*' : ''}`);
}

/** Version folders of a local-registry asset, ascending. */
export async function localVersions(registryPath: string, kind: 'data' | 'model', name: string): Promise<string[]> {
  try {
    const names = await readdir(path.join(registryPath, kind, name));
    return names.filter((entry) => /^\d+$/.test(entry)).sort((a, b) => Number(a) - Number(b));
  } catch {
    return [];
  }
}

export async function localRecord(
  registryPath: string,
  kind: 'data' | 'model',
  name: string,
  version: string,
): Promise<{ hash: string; properties: Record<string, string>; tags: Record<string, string> }> {
  return JSON.parse(await readFile(path.join(registryPath, kind, name, version, 'version.json'), 'utf8'));
}

/** A llmops/metrics@1 document for the fixture's evaluator, one row per experiment dataset. */
export function metricsDocument(values: { accuracy: number; latency_ms: number }, experiment = 'triage') {
  return {
    schema: 'llmops/metrics@1',
    experiment,
    env: 'pr',
    rows: ['tickets', 'emails'].map((dataset) => ({
      evaluator: 'accuracy',
      dataset,
      run: `triage_default_${dataset}`,
      variants: {},
      metrics: { ...values },
    })),
  };
}

export async function writeMetrics(workspace: Workspace, name: string, document: unknown): Promise<string> {
  const file = path.join(workspace.root, name);
  await writeFile(file, JSON.stringify(document));
  return file;
}

/** Append a line to a file of the experiment: a content change. */
export async function touchContent(workspace: Workspace, relative: string, line: string): Promise<void> {
  const file = workspace.file(relative);
  await writeFile(file, `${await readFile(file, 'utf8')}${line}\n`);
}
