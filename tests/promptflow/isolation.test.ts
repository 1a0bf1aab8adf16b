/**
 * What an executor must not leak or leave behind: connection secrets (in logs, errors, the home),
 * running processes after a cancellation, and a clear message when promptflow is missing.
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { ConfigurationError } from '../../packages/core/src/errors.js';
import { findPromptflowPython, LocalPromptflowExecutor } from '../../packages/core/src/promptflow/index.js';
import {
  describeWithPromptflow,
  fixtureFlowsDir,
  flowAt,
  processesUsingHome,
  readJsonLines,
  recordingLogger,
  repoRoot,
  tempDir,
} from './support.js';

const CANARY = 'canary-7f3a9c1e-secret-token';

describeWithPromptflow('LocalPromptflowExecutor: isolation', () => {
  test('connections are created once, by the first of the runs started together', async () => {
    const outputDir = await tempDir('connections-once');
    const executor = await LocalPromptflowExecutor.start({
      outputDir,
      projectDir: repoRoot,
      connections: [
        {
          name: 'llmops_canary',
          type: 'CustomConnection',
          properties: {},
          configs: { endpoint: 'https://search.example.test' },
          secrets: { token: CANARY },
        },
      ],
    });
    const flow = await flowAt(path.join(fixtureFlowsDir, 'custom-connection'));
    const data = path.join(fixtureFlowsDir, 'custom-connection', 'data.jsonl');
    try {
      const results = await Promise.all(
        ['first', 'second'].map((name) =>
          executor.run({ name, flow, data, variants: {}, columnMapping: { text: '${data.text}' } }),
        ),
      );
      // Both runs found the connection; one of them made it and left the marker for the other.
      for (const result of results) expect(result.lines).toEqual({ total: 2, completed: 1, failed: 1 });
      expect((await stat(`${executor.home.keyringFile}.connections`)).isFile()).toBe(true);
    } finally {
      await executor.close();
    }
  });

  test('a connection promptflow refuses fails the run request in one line, secrets redacted', async () => {
    const outputDir = await tempDir('connections-refused');
    const executor = await LocalPromptflowExecutor.start({
      outputDir,
      projectDir: repoRoot,
      connections: [{ name: 'broken', type: 'NoSuchConnection', properties: { api_key: CANARY } }],
    });
    try {
      const run = executor.run({
        name: 'refused',
        flow: await flowAt(path.join(fixtureFlowsDir, 'partial-failure')),
        data: path.join(fixtureFlowsDir, 'partial-failure', 'data.jsonl'),
        variants: {},
        columnMapping: { text: '${data.text}' },
      });
      await expect(run).rejects.toThrow(ConfigurationError);
      await expect(run).rejects.toThrow(
        'promptflow could not create connection broken: promptflow has no connection type NoSuchConnection',
      );
    } finally {
      await executor.close();
    }
  });

  test('a custom connection works in the flow while its secret stays out of logs, errors and the home', async () => {
    const log = recordingLogger();
    const outputDir = await tempDir('secrets');
    const executor = await LocalPromptflowExecutor.start({
      outputDir,
      projectDir: repoRoot,
      log,
      connections: [
        {
          name: 'llmops_canary',
          type: 'CustomConnection',
          properties: {},
          configs: { endpoint: 'https://search.example.test' },
          secrets: { token: CANARY },
        },
      ],
    });
    const keyringFile = executor.home.keyringFile;
    try {
      const result = await executor.run({
        name: 'canary',
        flow: await flowAt(path.join(fixtureFlowsDir, 'custom-connection')),
        data: path.join(fixtureFlowsDir, 'custom-connection', 'data.jsonl'),
        variants: {},
        columnMapping: { text: '${data.text}' },
      });
      expect(result.lines).toEqual({ total: 2, completed: 1, failed: 1 });
      // The flow got the decrypted secret from the connection store...
      expect((await readJsonLines(result.outputsPath))[0]?.reply).toBe(
        `https://search.example.test hello token-length=${CANARY.length}`,
      );
      // ...and what it said about it comes back redacted.
      expect(result.firstError).toBe("line 1: Execution failure in 'use_connection': (ValueError) refusing token ***");
      expect(JSON.stringify(result)).not.toContain(CANARY);
      expect(log.lines.join('\n')).not.toContain(CANARY);

      // Stored encrypted; the key sits in a private temp file outside the output dir.
      expect(await readFile(path.join(executor.home.dir, 'pf.sqlite'), 'latin1')).not.toContain(CANARY);
      expect(keyringFile.startsWith(outputDir)).toBe(false);
      expect((await stat(keyringFile)).mode & 0o077).toBe(0);
      expect(await filesContaining(executor.home.dir, CANARY, ['.runs'])).toEqual([]);
    } finally {
      await executor.close();
    }
    await expect(stat(keyringFile)).rejects.toThrow(/ENOENT/);
  });

  test('cancellation stops the run, kills its process group and reports Canceled', async () => {
    const executor = await LocalPromptflowExecutor.start({
      outputDir: await tempDir('cancel'),
      projectDir: repoRoot,
      killGraceMs: 2_000,
    });
    try {
      const controller = new AbortController();
      const started = Date.now();
      const running = executor.run(
        {
          name: 'slow',
          flow: await flowAt(path.join(fixtureFlowsDir, 'slow')),
          data: path.join(fixtureFlowsDir, 'slow', 'data.jsonl'),
          variants: {},
          columnMapping: { text: '${data.text}' },
        },
        { signal: controller.signal, lineConcurrency: 3 },
      );
      // Wait until line workers are busy sleeping, then cancel.
      await waitFor(async () => (await processesUsingHome(executor.home.dir)).length >= 2, 60_000);
      controller.abort(new Error('job cancelled'));
      const result = await running;

      expect(result.status).toBe('Canceled');
      expect(result.firstError).toBe('canceled: job cancelled');
      expect(result.lines.completed).toBe(0);
      // Each line sleeps 60 s: returning well before proves the run was stopped, not finished.
      expect(Date.now() - started).toBeLessThan(45_000);
      expect(await processesUsingHome(executor.home.dir)).toEqual([]);
    } finally {
      await executor.close();
    }
  });

  test('a Python without promptflow is refused with one line saying what to install', async () => {
    const bareVenv = path.join(await tempDir('bare-venv'), 'venv');
    const python3 = process.platform === 'win32' ? 'python' : 'python3';
    await promisify(execFile)(python3, ['-m', 'venv', '--without-pip', bareVenv]);
    const python = path.join(bareVenv, 'bin', 'python');

    const refused = await findPromptflowPython({ python }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConfigurationError);
    expect((refused as Error).message).toBe(
      `promptflow is not installed for ${python}: run \`pip install promptflow==1.18.5 keyrings.alt\` or \`npm run setup:python\``,
    );
  });

  test('the repo .venv is found from a project folder below it', async () => {
    const found = await findPromptflowPython({
      searchDirs: [path.join(repoRoot, 'examples', 'offline-classification'), repoRoot],
    });
    expect(found).toMatchObject({
      python: path.join(repoRoot, '.venv', 'bin', 'python'),
      source: 'venv',
      promptflowVersion: '1.18.5',
    });
    expect(found.keyringsAltVersion).toBeDefined();
    expect(found.toolsVersion).toBeDefined();
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Files under `dir` (skipping the named subfolders) whose bytes contain `needle`. */
async function filesContaining(dir: string, needle: string, skip: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.includes(entry.name)) found.push(...(await filesContaining(full, needle, skip)));
    } else if ((await readFile(full, 'latin1')).includes(needle)) {
      found.push(full);
    }
  }
  return found;
}
