/**
 * Which assets an experiment names, and under which registry names: the datasets of the
 * experiment and of its evaluators (data assets), the standard flow (a model) and, when asked,
 * the evaluation flows (models too). Pure: reads the loaded experiment, touches no registry.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { promptFlowModelProperties } from '../azure/promptflow-model.js';
import type { Experiment } from '../config/index.js';
import { ConfigurationError, type SourceLocation } from '../errors.js';
import type { ResolvedFlow } from '../plan/types.js';
import { validateAssetName } from '../registry/local.js';
import type { AssetKind } from '../registry/types.js';

/** What an asset is to the experiment; deploy picks the `flow`. */
export type AssetRole = 'flow' | 'evaluator' | 'dataset';

export interface PlannedAsset {
  kind: AssetKind;
  name: string;
  role: AssetRole;
  /** The local file or folder whose content is hashed and registered. */
  sourcePath: string;
  description?: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  /** Where the asset is named in experiment.yaml, for errors. */
  location?: SourceLocation;
}

/** A dataset that lives in a registry already (`azureml:name:version`): nothing to hash or copy. */
export interface SkippedDataset {
  name: string;
  uri: string;
}

export interface AssetSelection {
  /** The standard flow's model name; default {@link defaultModelName}. */
  modelName?: string;
  includeEvaluators: boolean;
}

/**
 * The template's model name, `{experiment}_{env}`. Without an environment it is the experiment
 * name alone: a trailing `_` would be a name nobody types, and `{experiment}_undefined` worse.
 */
export function defaultModelName(experiment: Pick<Experiment, 'name' | 'env'>): string {
  return experiment.env ? `${experiment.name}_${experiment.env}` : experiment.name;
}

/**
 * An evaluation flow's model name, `{experiment}_{evaluator}_{env}` (or without `_{env}`). Tied
 * to the experiment because evaluator names (`accuracy`) repeat across experiments whose
 * evaluation flows differ; one shared name would churn versions between them.
 */
export function evaluatorModelName(experiment: Pick<Experiment, 'name' | 'env'>, evaluator: string): string {
  return defaultModelName({ name: `${experiment.name}_${evaluator}`, env: experiment.env });
}

export async function selectAssets(
  experiment: Experiment,
  selection: AssetSelection,
): Promise<{ assets: PlannedAsset[]; skipped: SkippedDataset[] }> {
  const assets = new AssetList();
  const skipped = new Map<string, SkippedDataset>();
  const tags = (role: AssetRole): Record<string, string> => ({
    'llmops.experiment': experiment.name,
    ...(experiment.env && { 'llmops.env': experiment.env }),
    'llmops.role': role,
  });

  const datasets = [
    ...experiment.datasets,
    // An evaluator dataset that reuses an experiment dataset has the same name and source: the
    // list keeps one entry for it.
    ...experiment.evaluators.flatMap((evaluator) => evaluator.datasets),
  ];
  for (const dataset of datasets) {
    if (dataset.data.kind === 'remote') {
      skipped.set(dataset.name, { name: dataset.name, uri: dataset.data.uri });
      continue;
    }
    assets.add({
      kind: 'data',
      name: dataset.name,
      role: 'dataset',
      sourcePath: dataset.data.path,
      ...(dataset.description && { description: dataset.description }),
      tags: tags('dataset'),
      properties: {},
      location: dataset.location,
    });
  }

  const modelName = selection.modelName ?? defaultModelName(experiment);
  assets.add(
    await flowAsset(experiment.flow, modelName, 'flow', tags('flow'), `Flow of experiment ${experiment.name}`),
  );
  if (selection.includeEvaluators) {
    for (const evaluator of experiment.evaluators) {
      // A builtin evaluator is azure-ai-evaluation's code, generated at evaluate time: no user flow to register.
      if (evaluator.flow.builtin) continue;
      const name = evaluatorModelName(experiment, evaluator.name);
      const description = `Evaluation flow '${evaluator.name}' of experiment ${experiment.name}`;
      assets.add({
        ...(await flowAsset(evaluator.flow, name, 'evaluator', tags('evaluator'), description)),
        location: evaluator.location,
      });
    }
  }
  return { assets: assets.list(), skipped: [...skipped.values()] };
}

async function flowAsset(
  flow: ResolvedFlow,
  name: string,
  role: AssetRole,
  tags: Record<string, string>,
  description: string,
): Promise<PlannedAsset> {
  const chat = await chatInterface(flow);
  return {
    kind: 'model',
    name,
    role,
    sourcePath: flow.path,
    description,
    tags,
    properties: promptFlowModelProperties({ flowId: name, ...(chat && { chat }) }),
  };
}

/**
 * The chat input and output of a DAG flow (`is_chat_input` / `is_chat_output`), which Azure ML
 * studio needs to offer the chat UI for the deployed flow. Other flow kinds declare no such
 * markers in YAML; they are registered as plain flows.
 */
async function chatInterface(flow: ResolvedFlow): Promise<{ input: string; output: string } | undefined> {
  if (flow.kind !== 'dag') return undefined;
  // The loader parsed and validated this file already; a read failure here is not the user's.
  const definition = parseYaml(await readFile(flow.definitionFile, 'utf8')) as {
    inputs?: Record<string, { is_chat_input?: boolean } | null>;
    outputs?: Record<string, { is_chat_output?: boolean } | null>;
  } | null;
  const marked = (ports: Record<string, object | null> | undefined, flag: string) =>
    Object.entries(ports ?? {}).find(([, port]) => (port as Record<string, unknown> | null)?.[flag] === true)?.[0];
  const input = marked(definition?.inputs, 'is_chat_input');
  const output = marked(definition?.outputs, 'is_chat_output');
  return input && output ? { input, output } : undefined;
}

/** Assets by kind and name: one name, one source. */
class AssetList {
  private readonly byKey = new Map<string, PlannedAsset>();

  add(asset: PlannedAsset): void {
    try {
      validateAssetName(asset.name);
    } catch (error) {
      if (error instanceof ConfigurationError)
        throw new ConfigurationError(`${asset.kind} asset: ${error.message}`, asset.location);
      throw error;
    }
    const key = `${asset.kind}:${asset.name}`;
    const existing = this.byKey.get(key);
    if (!existing) {
      this.byKey.set(key, asset);
      return;
    }
    if (existing.sourcePath === asset.sourcePath) return;
    throw new ConfigurationError(
      `${asset.kind === 'data' ? 'dataset' : 'model'} name '${asset.name}' is used for two sources, ` +
        `${existing.sourcePath} and ${asset.sourcePath}; a registry name holds one content history, so rename one of them`,
      asset.location,
    );
  }

  list(): PlannedAsset[] {
    return [...this.byKey.values()];
  }
}
