import path from 'node:path';
import { loadEnvFile, resolveConnectionSecrets, type Experiment } from '../config/index.js';
import type { Host } from '../host.js';
import { LocalPromptflowExecutor } from '../promptflow/index.js';

export interface LocalExecutorSettings {
  outputDir: string;
  python?: string;
  lineConcurrency: number;
  /** Reuse this promptflow home (evaluation runs must see the experiment's runs). */
  home?: string;
}

/**
 * The local promptflow executor set up for an experiment: its connections with secrets from
 * the environment (masked before first use), and environment/env.yaml beside the config.
 */
export async function startLocalExecutor(
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
