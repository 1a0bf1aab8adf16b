import path from 'node:path';
import { loadExperiment, type Experiment } from '../config/index.js';
import { ConfigurationError } from '../errors.js';
import { parseGateList, type Gate } from '../evaluate/gates.js';
import { readMetricsDocument, type MetricsDocument } from '../evaluate/metrics.js';
import { code, markdownTable } from '../markdown.js';
import { selectAssets, type SkippedDataset } from '../register/assets.js';
import {
  REGISTRATION_SCHEMA,
  writeRegistrationManifest,
  type RegistrationManifest,
  type RegistryCoordinates,
} from '../register/manifest.js';
import { directionOf } from '../register/metric-comparison.js';
import { openRegistry, type RegistryTarget, type RegistryInputs } from '../register/open-registry.js';
import { registerAssets, type AssetOutcome } from '../register/register-assets.js';
import type { Host, Logger } from '../host.js';
import type { OutputValues, StageContext } from '../spec.js';
import type { registerIfChangedInputs, registerIfChangedOutputs } from './register-if-changed.js';

export const REGISTRATION_MANIFEST_FILE = 'registration.json';

export interface RegisterIfChangedDependencies {
  /**
   * Builds the registry from the inputs. The stage uses {@link openRegistry}; a test or an
   * embedding tool may hand in a registry whose client it configured itself.
   */
  openRegistry?: (inputs: RegistryInputs, host: Host, log: Logger) => Promise<RegistryTarget>;
}

export async function runRegisterIfChanged(
  ctx: StageContext<typeof registerIfChangedInputs>,
  dependencies: RegisterIfChangedDependencies = {},
): Promise<OutputValues<typeof registerIfChangedOutputs>> {
  const { inputs, host, log } = ctx;
  const configPath = path.resolve(host.workingDirectory, inputs.config);
  const experiment = await loadExperiment(configPath, { env: inputs.env, environ: host.env });
  for (const warning of experiment.warnings) log.warning(warning.message, warning.location);

  // Everything the user can get wrong is checked before the registry is contacted.
  const metrics = inputs.metrics
    ? await readCandidateMetrics(path.resolve(host.workingDirectory, inputs.metrics), experiment)
    : undefined;
  const notWorseOn = inputs['only-if-better'] ? onlyIfBetterGates(experiment, metrics) : undefined;
  const { assets, skipped } = await selectAssets(experiment, {
    modelName: inputs['model-name'],
    includeEvaluators: inputs['include-evaluators'],
  });

  const target = await (dependencies.openRegistry ?? openRegistry)(
    {
      registry: inputs.registry,
      registryPath: inputs['registry-path'],
      auth: inputs.auth,
      subscriptionId: inputs['subscription-id'],
      resourceGroup: inputs['resource-group'],
      workspaceName: inputs['workspace-name'],
      tenantId: inputs['tenant-id'],
      clientId: inputs['client-id'],
      serviceConnection: inputs['azure-subscription'],
    },
    host,
    log,
  );
  for (const dataset of skipped) {
    log.info(`dataset ${dataset.name}: ${dataset.uri} is a registry reference already; nothing to register`);
  }
  log.info(
    `${assets.length} asset(s) of experiment '${experiment.name}'${experiment.env ? ` (env ${experiment.env})` : ''} in ${describeRegistry(target.coordinates)}`,
  );

  const outcomes = await registerAssets(assets, {
    registry: target.registry,
    log,
    ...(metrics && { metrics }),
    ...(notWorseOn && { notWorseOn }),
    signal: host.signal,
  });

  const manifestPath = path.resolve(host.workingDirectory, inputs['output-dir'], REGISTRATION_MANIFEST_FILE);
  await writeRegistrationManifest(manifestPath, manifestOf(experiment, target.coordinates, outcomes, skipped));
  await host.appendSummary(summaryOf(experiment, target.coordinates, outcomes, skipped));

  return {
    assets: outcomes.map(({ asset, version, changed, content }) => ({
      kind: asset.kind,
      name: asset.name,
      version: version.version,
      changed,
      hash: content.hash,
    })),
    manifest: manifestPath,
  };
}

async function readCandidateMetrics(file: string, experiment: Experiment): Promise<MetricsDocument> {
  const metrics = await readMetricsDocument(file);
  // Another experiment's metrics stored with this flow would mislead every later comparison.
  if (metrics.experiment !== experiment.name) {
    throw new ConfigurationError(
      `metrics of experiment '${metrics.experiment}', but the experiment is '${experiment.name}'`,
      { file },
    );
  }
  return metrics;
}

/** The gates of experiment.yaml that say which way is better; only-if-better needs some, and metrics. */
function onlyIfBetterGates(experiment: Experiment, metrics: MetricsDocument | undefined): Gate[] {
  if (!metrics) {
    throw new ConfigurationError("only-if-better needs the 'metrics' input (the evaluate stage's metrics JSON)");
  }
  const gates = parseGateList(experiment.gates.map((gate) => ({ text: gate.expression, location: gate.location })));
  const directional = gates.filter((gate) => directionOf(gate.operator));
  if (directional.length === 0) {
    throw new ConfigurationError(
      `only-if-better compares the metrics named by experiment.yaml's gates, and ${experiment.configFile} has no gate with >=, >, <= or <`,
      { file: experiment.configFile },
    );
  }
  return directional;
}

function manifestOf(
  experiment: Experiment,
  registry: RegistryCoordinates,
  outcomes: readonly AssetOutcome[],
  skipped: readonly SkippedDataset[],
): RegistrationManifest {
  return {
    schema: REGISTRATION_SCHEMA,
    experiment: experiment.name,
    ...(experiment.env && { env: experiment.env }),
    registry,
    assets: outcomes.map(({ asset, version, changed, content }) => ({
      kind: asset.kind,
      name: asset.name,
      version: version.version,
      changed,
      hash: content.hash,
      role: asset.role,
      uri: version.uri,
      source: path.relative(experiment.baseDir, asset.sourcePath).split(path.sep).join('/'),
    })),
    skipped: skipped.map(({ name, uri }) => ({ name, uri })),
  };
}

function describeRegistry(registry: RegistryCoordinates): string {
  return registry.kind === 'local'
    ? `local registry ${registry.path}`
    : `Azure ML workspace ${registry.workspaceName} (resource group ${registry.resourceGroup})`;
}

function summaryOf(
  experiment: Experiment,
  registry: RegistryCoordinates,
  outcomes: readonly AssetOutcome[],
  skipped: readonly SkippedDataset[],
): string {
  const created = outcomes.filter((outcome) => outcome.changed).length;
  const title =
    `### llmops register-if-changed: ${code(experiment.name)}${experiment.env ? ` (env ${code(experiment.env)})` : ''}\n\n` +
    `${created} new version(s), ${outcomes.length - created} unchanged, in ${describeRegistry(registry)}.`;
  const table = markdownTable(
    ['Asset', 'Kind', 'Version', 'Status', 'Content hash'],
    outcomes.map(({ asset, version, changed, content }) => [
      code(asset.name),
      asset.kind === 'data' ? 'data' : `model (${asset.role})`,
      version.version,
      changed ? '🆕 new version' : 'unchanged',
      code(shortHash(content.hash)),
    ]),
  );
  const remote = skipped.length
    ? `\n\nNot registered (registry references already): ${skipped.map((dataset) => `${code(dataset.name)} ${code(dataset.uri)}`).join(', ')}.`
    : '';
  return `${title}\n\n${table}${remote}\n`;
}

/** `sha256:` and 12 hex digits: enough to tell versions apart by eye in a summary. */
function shortHash(hash: string): string {
  const [algorithm, hex] = hash.includes(':') ? hash.split(':', 2) : ['', hash];
  return `${algorithm ? `${algorithm}:` : ''}${hex!.slice(0, 12)}`;
}
