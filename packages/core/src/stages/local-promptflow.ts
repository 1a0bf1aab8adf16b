import os from 'node:os';
import path from 'node:path';
import { loadEnvFile, resolveConnectionSecrets, type Experiment } from '../config/index.js';
import type { FlowRunRequest, FlowRunResult } from '../executor/types.js';
import { executeRuns } from '../experiment/execute-plan.js';
import type { Host } from '../host.js';
import { LocalPromptflowExecutor } from '../promptflow/index.js';

export interface LocalExecutorSettings {
  outputDir: string;
  python?: string;
  lineConcurrency: number;
  /** Runs at once; 0 means one per CPU core. */
  maxParallelRuns: number;
  /** Reuse this promptflow home (evaluation runs must see the experiment's runs). */
  home?: string;
}

/**
 * Run `requests` with local promptflow, in parallel as the settings allow, and release the
 * executor (no promptflow process outlives the stage). Results come in request order.
 */
export async function runLocally(
  experiment: Experiment,
  host: Host,
  settings: LocalExecutorSettings,
  requests: FlowRunRequest[],
): Promise<{ results: FlowRunResult[]; home: string }> {
  const executor = await startLocalExecutor(experiment, host, settings);
  try {
    const results = await executeRuns(requests, executor, {
      maxParallelRuns: settings.maxParallelRuns || os.availableParallelism(),
      lineConcurrency: settings.lineConcurrency,
      signal: host.signal,
      log: host.log,
    });
    return { results, home: executor.home.dir };
  } finally {
    await executor.close();
  }
}

/**
 * The local promptflow executor set up for an experiment: its connections with secrets from
 * the environment (masked before first use), and environment/env.yaml beside the config.
 */
async function startLocalExecutor(
  experiment: Experiment,
  host: Host,
  settings: LocalExecutorSettings,
): Promise<LocalPromptflowExecutor> {
  const connections = resolveConnectionSecrets(experiment.connections, host.env);
  for (const connection of connections) for (const secret of connection.secretValues) host.setSecret(secret);
  const envFile = await loadEnvFile(path.join(experiment.baseDir, 'environment', 'env.yaml'), {
    environ: host.env,
    optional: true,
  });
  return LocalPromptflowExecutor.start({
    outputDir: settings.outputDir,
    home: settings.home,
    python: settings.python && path.resolve(host.workingDirectory, settings.python),
    projectDir: host.workingDirectory,
    connections,
    environmentVariables: envFile.variables,
    env: host.env,
    log: host.log,
    defaultLineConcurrency: settings.lineConcurrency,
  });
}
