/**
 * The work of register-if-changed, given a registry: hash every asset, look up each one's newest
 * version, decide, and only then write. All reads come before the first write, so a refusal
 * (only-if-better) or a failed lookup leaves the registry untouched.
 */
import pLimit from 'p-limit';
import { contentHash, type ContentHashResult } from '../hash/index.js';
import type { Gate } from '../evaluate/gates.js';
import { parseMetricsDocument, type MetricsDocument } from '../evaluate/metrics.js';
import { ConfigurationError } from '../errors.js';
import type { Logger } from '../host.js';
import { explainAzureError } from '../azure/errors.js';
import type { AssetVersion, Registry } from '../registry/types.js';
import type { PlannedAsset } from './assets.js';
import { compareWithLatest, worseMetricsFailure } from './metric-comparison.js';

/** The version property holding the metrics a flow version was registered with (compact JSON). */
export const METRICS_PROPERTY = 'llmops.metrics';

/** Files hashed and registry lookups made at once: enough to overlap I/O and round trips. */
const CONCURRENCY = 4;

export interface RegisterAssetsOptions {
  registry: Registry;
  log: Logger;
  /** Stored with a new version of the standard flow. */
  metrics?: MetricsDocument;
  /** Set for only-if-better: the gates whose metrics must not get worse. */
  notWorseOn?: readonly Gate[];
  signal?: AbortSignal;
}

export interface AssetOutcome {
  asset: PlannedAsset;
  content: ContentHashResult;
  /** The version holding this content now (created by this run when `changed`). */
  version: AssetVersion;
  changed: boolean;
}

export async function registerAssets(
  assets: readonly PlannedAsset[],
  options: RegisterAssetsOptions,
): Promise<AssetOutcome[]> {
  const { registry, log, signal } = options;
  const limit = pLimit(CONCURRENCY);

  const looked = await Promise.all(
    assets.map((asset) =>
      limit(async () => {
        const content = await contentHash(asset.sourcePath, { signal });
        const latest = await withExplanation(`looking up the latest version of ${asset.kind} ${asset.name}`, () =>
          registry.latest(asset.kind, asset.name),
        );
        return { asset, content, latest };
      }),
    ),
  );

  if (options.notWorseOn) checkNotWorse(looked, options.notWorseOn, options.metrics, log);

  const outcomes: AssetOutcome[] = [];
  // One at a time: a failure stops the writes that follow it, and the log reads in order.
  for (const { asset, content, latest } of looked) {
    signal?.throwIfAborted();
    if (latest && latest.hash === content.hash) {
      log.info(`${asset.kind} ${asset.name}: unchanged, version ${latest.version} (${content.hash})`);
      if (asset.role === 'flow' && options.metrics) {
        log.info(
          `  metrics not stored: versions are immutable and version ${latest.version} keeps those it was registered with`,
        );
      }
      outcomes.push({ asset, content, version: latest, changed: false });
      continue;
    }
    const properties = { ...asset.properties };
    if (asset.role === 'flow' && options.metrics) properties[METRICS_PROPERTY] = JSON.stringify(options.metrics);
    const registered = await withExplanation(`registering ${asset.kind} ${asset.name}`, () =>
      registry.register({
        kind: asset.kind,
        name: asset.name,
        hash: content.hash,
        sourcePath: asset.sourcePath,
        files: content.files.map((file) => file.path),
        ...(asset.description !== undefined && { description: asset.description }),
        tags: asset.tags,
        properties,
      }),
    );
    const { created, ...version } = registered;
    log.info(
      created
        ? `${asset.kind} ${asset.name}: registered version ${version.version} (${content.hash})`
        : `${asset.kind} ${asset.name}: version ${version.version} holds this content already (registered concurrently)`,
    );
    outcomes.push({ asset, content, version, changed: created });
  }
  return outcomes;
}

/** The metrics stored with a version, if it has any. */
export function storedMetrics(version: AssetVersion): MetricsDocument | undefined {
  const text = version.properties[METRICS_PROPERTY];
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(
      `${version.kind} ${version.name}:${version.version}: property ${METRICS_PROPERTY} is not JSON (${(error as Error).message})`,
    );
  }
  return parseMetricsDocument(json, `${version.kind} ${version.name}:${version.version} property ${METRICS_PROPERTY}`);
}

function checkNotWorse(
  looked: readonly { asset: PlannedAsset; content: ContentHashResult; latest?: AssetVersion }[],
  gates: readonly Gate[],
  metrics: MetricsDocument | undefined,
  log: Logger,
): void {
  const flow = looked.find((entry) => entry.asset.role === 'flow');
  if (!flow || !metrics) return;
  const { asset, content, latest } = flow;
  if (!latest) {
    log.info(`only-if-better: model ${asset.name} has no version yet; nothing to compare with`);
    return;
  }
  if (latest.hash === content.hash) {
    log.info(`only-if-better: model ${asset.name} is unchanged; no new version to decide on`);
    return;
  }
  const previous = storedMetrics(latest);
  if (!previous) {
    log.info(
      `only-if-better: model ${asset.name}:${latest.version} was registered without metrics; nothing to compare with`,
    );
    return;
  }
  const comparisons = compareWithLatest(gates, metrics, previous);
  const failure = worseMetricsFailure(comparisons, { name: asset.name, latestVersion: latest.version });
  if (failure) throw failure;
  log.info(`only-if-better: ${comparisons.length} comparison(s) with ${asset.name}:${latest.version}, none worse`);
}

async function withExplanation<T>(doing: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw explainAzureError(error, doing);
  }
}
