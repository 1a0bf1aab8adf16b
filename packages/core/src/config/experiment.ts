/**
 * experiment.yaml, compatible with microsoft/genaiops-promptflow-template
 * (llmops/common/experiment.py), so a team can switch without rewriting its configs.
 *
 * What the template does, and we mirror:
 * - `flow` defaults to the experiment name; an evaluator's `flow` to the evaluator name. Paths
 *   resolve against the experiment.yaml folder; when `<base>/<flow>` does not exist,
 *   `<base>/flows/<flow>` is tried (the documented intent of the template's _resolve_flow_dir).
 * - A dataset `source` is a path relative to the experiment.yaml folder, then to its `data/`
 *   folder; a URI such as `azureml:name:version` is a remote asset, kept as written.
 * - An evaluator is an evaluation flow (`flow`), or, our addition, one of azure-ai-evaluation's
 *   code-based evaluators (`builtin: f1_score`, constructor arguments under `init:`); never both.
 *   Without either, `flow` defaults to the evaluator name as in the template.
 * - An evaluator dataset either reuses an experiment dataset by `name` (then it has no `source`
 *   or `reference`), or has its own `source` and a `reference` to an experiment dataset.
 * - `experiment.<env>.yaml` next to the file: a block it names (datasets, evaluators,
 *   connections, runtime, and our `gates`) replaces the whole block; naming it with an empty
 *   value clears it; an empty overlay changes nothing; no overlay file is not an error (the
 *   template treats overlays as optional, so does `--env` here). `name` and `flow` in an overlay
 *   are ignored, as the template ignores them; a warning says so.
 * - The environment name falls back to ENV_NAME, as the template's ExperimentCloudConfig does.
 *
 * What we add: every problem is one line at its `file:line:col`, found before any compute is
 * spent (unknown keys with suggestions, bindings, duplicate names, missing files and flows).
 */
import path from 'node:path';
import * as z from 'zod';
import { ConfigurationError, type SourceLocation } from '../errors.js';
import {
  BUILTIN_NAMES,
  builtinFlowPlaceholder,
  lookupBuiltin,
  type BuiltinEvaluator,
} from '../evaluate/builtin/catalog.js';
import { resolveFlow } from '../flow/detect.js';
import type { DataSource, ResolvedFlow } from '../plan/types.js';
import { mappingProblem, mappingValueToString, type MappingContext } from './bindings.js';
import { parseConnection, type ConnectionConfig } from './connections.js';
import { didYouMean, unknownNameMessage } from '../suggest.js';
import { nonEmptyString, parseWithSchema, strictObject } from './validate.js';
import { YamlSource, describeValue, formatFieldPath, pathKind, type FieldPath } from './yaml-source.js';

export interface LoadExperimentOptions {
  /** Environment whose overlay (`experiment.<env>.yaml`) applies; defaults to environ.ENV_NAME. */
  env?: string;
  /** Defaults to process.env; only ENV_NAME is read here (secrets are resolved later). */
  environ?: NodeJS.ProcessEnv;
}

export interface ExperimentDataset {
  name: string;
  /** `source` as written in the YAML. */
  source: string;
  data: DataSource;
  description?: string;
  /** Flow input -> `${data.column}` or a literal, as promptflow's column mapping takes it. */
  mappings: Record<string, string>;
  location: SourceLocation;
}

export interface EvaluatorDataset extends ExperimentDataset {
  /** The experiment dataset whose runs this dataset evaluates; absent when `name` is one. */
  reference?: string;
}

export interface EvaluatorConfig {
  name: string;
  /** The evaluation flow; for a builtin evaluator, the flow the evaluate stage generates (flow.builtin). */
  flow: ResolvedFlow;
  datasets: EvaluatorDataset[];
  location: SourceLocation;
}

/** A quality gate as written (`accuracy >= 0.8 on train`); parsed by the evaluate stage. */
export interface GateExpression {
  expression: string;
  location: SourceLocation;
}

export interface ConfigWarning {
  message: string;
  location: SourceLocation;
}

export interface Experiment {
  name: string;
  env?: string;
  /** The experiment file as given. */
  configFile: string;
  /** Absolute folder of the experiment file; relative paths in the config resolve against it. */
  baseDir: string;
  /** The overlay that was applied, when there was one for `env`. */
  overlayFile?: string;
  flow: ResolvedFlow;
  connections: ConnectionConfig[];
  datasets: ExperimentDataset[];
  evaluators: EvaluatorConfig[];
  runtime?: string;
  gates: GateExpression[];
  /** Things that are legal but probably not what the user meant; the stage logs them. */
  warnings: ConfigWarning[];
}

const mappingsSchema = z.record(z.string(), z.unknown()).nullish();

const datasetSchema = strictObject({
  name: nonEmptyString,
  source: nonEmptyString,
  description: z.string().nullish(),
  mappings: mappingsSchema,
});

const evaluatorDatasetSchema = strictObject({
  name: nonEmptyString,
  reference: nonEmptyString.optional(),
  source: nonEmptyString.optional(),
  description: z.string().nullish(),
  mappings: mappingsSchema,
});

const evaluatorSchema = strictObject({
  name: nonEmptyString,
  flow: nonEmptyString.optional(),
  builtin: nonEmptyString.optional(),
  init: z.record(z.string(), z.unknown()).nullish(),
  datasets: z.array(evaluatorDatasetSchema).min(1, { message: 'an evaluator needs at least one dataset' }),
});

/** The blocks an overlay can replace, in the order they are validated. */
const blockSchemas = {
  connections: z.array(z.looseObject({})).nullish(),
  datasets: z.array(datasetSchema).nullish(),
  evaluators: z.array(evaluatorSchema).nullish(),
  runtime: z.string().nullish(),
  gates: z.array(nonEmptyString).nullish(),
};
type BlockName = keyof typeof blockSchemas;
type Blocks = { [Name in BlockName]?: z.output<(typeof blockSchemas)[Name]> };

const experimentSchema = strictObject({
  name: nonEmptyString,
  flow: nonEmptyString.optional(),
  ...blockSchemas,
});

const overlaySchema = strictObject({
  // Accepted for compatibility (the template's overlays carry them) but not applied.
  name: z.unknown().optional(),
  flow: z.unknown().optional(),
  ...blockSchemas,
});

const ENV_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Where a block's value came from: the base file, or the overlay that replaced it. */
interface Block<Value> {
  value: Value;
  source: YamlSource;
}

/**
 * Load an experiment file (or a use-case folder, meaning its experiment.yaml, the template's
 * default name), apply the environment's overlay and validate everything a run will need.
 */
export async function loadExperiment(configPathOrFolder: string, options: LoadExperimentOptions = {}): Promise<Experiment> {
  const configPath =
    (await pathKind(configPathOrFolder)) === 'folder' ? path.join(configPathOrFolder, 'experiment.yaml') : configPathOrFolder;
  const environ = options.environ ?? process.env;
  const env = options.env || environ.ENV_NAME || undefined;
  if (env !== undefined && !ENV_NAME.test(env)) {
    throw new ConfigurationError(`env: '${env}' is not an environment name; use letters, digits, '-' and '_'`);
  }

  const baseSource = await YamlSource.read(configPath, 'experiment file');
  const base = parseWithSchema(baseSource, experimentSchema, baseSource.toJS());
  if (!base.datasets || base.datasets.length === 0) {
    throw baseSource.errorAt(['datasets'], 'no datasets configured; an experiment needs at least one');
  }

  const warnings: ConfigWarning[] = [];
  const blocks = blocksOf(base, baseSource);
  let overlayFile: string | undefined;
  if (env !== undefined) {
    const overlayPath = overlayPathFor(configPath, env);
    if ((await pathKind(overlayPath)) === 'file') {
      overlayFile = overlayPath;
      // An empty overlay is legal (and common: the template ships empty experiment.dev.yaml files).
      const overlay = await YamlSource.read(overlayPath, 'overlay file', { allowEmpty: true });
      applyOverlay(blocks, overlay, { name: base.name, flow: base.flow }, warnings);
    }
  }

  const baseDir = path.resolve(path.dirname(configPath));
  const flow = await resolveExperimentFlow(baseSource, baseDir, base.flow ?? base.name, base.flow !== undefined);
  const connections = validateConnections(blocks.connections);
  const datasets = await validateDatasets(blocks.datasets, baseDir);
  const evaluators = await validateEvaluators(blocks.evaluators, datasets, blocks.datasets, baseDir);

  const experiment: Experiment = {
    name: base.name,
    configFile: configPath,
    baseDir,
    flow,
    connections,
    datasets,
    evaluators,
    gates: gatesOf(blocks.gates),
    warnings,
  };
  if (env !== undefined) experiment.env = env;
  if (overlayFile !== undefined) experiment.overlayFile = overlayFile;
  if (blocks.runtime.value) experiment.runtime = blocks.runtime.value;
  return experiment;
}

/** `experiment.yaml` + `dev` -> `experiment.dev.yaml`; `experiment-postprod.yaml` -> `experiment-postprod.dev.yaml`. */
export function overlayPathFor(configPath: string, env: string): string {
  const extension = path.extname(configPath);
  return `${configPath.slice(0, configPath.length - extension.length)}.${env}${extension}`;
}

type EffectiveBlocks = { [Name in BlockName]: Block<Blocks[Name]> };

function blocksOf(parsed: Blocks, source: YamlSource): EffectiveBlocks {
  return {
    connections: { value: parsed.connections, source },
    datasets: { value: parsed.datasets, source },
    evaluators: { value: parsed.evaluators, source },
    runtime: { value: parsed.runtime, source },
    gates: { value: parsed.gates, source },
  };
}

function applyOverlay(
  blocks: EffectiveBlocks,
  overlay: YamlSource,
  baseIdentity: { name: string; flow: string | undefined },
  warnings: ConfigWarning[],
): void {
  if (overlay.isEmpty()) return;
  const raw = overlay.toJS();
  const parsed = parseWithSchema(overlay, overlaySchema, raw);
  const present = raw as Record<string, unknown>;
  for (const ignored of ['name', 'flow'] as const) {
    // Overlays often repeat the base's name and flow; only a different value is worth a warning.
    if (ignored in present && present[ignored] !== baseIdentity[ignored]) {
      warnings.push({
        message: `${ignored}: ignored in an overlay; only datasets, evaluators, connections, runtime and gates are overlaid`,
        location: overlay.locate([ignored], 'key'),
      });
    }
  }
  for (const name of Object.keys(blockSchemas) as BlockName[]) {
    if (name in present) {
      // A key with an empty value clears the block: its parsed value is null.
      (blocks[name] as Block<unknown>) = { value: parsed[name] ?? undefined, source: overlay };
    }
  }
}

async function resolveExperimentFlow(source: YamlSource, baseDir: string, flow: string, written: boolean): Promise<ResolvedFlow> {
  // When `flow` is not written it defaults to the experiment name; point at `name` then.
  const location = source.locate([written ? 'flow' : 'name']);
  const hint = written ? '' : ` (flow defaults to the experiment name)`;
  return resolveFlow(await flowPathWithFallback(baseDir, flow), { location, field: 'flow', hint });
}

/** `<base>/<flow>`, or `<base>/flows/<flow>` when only that exists. */
async function flowPathWithFallback(baseDir: string, flow: string): Promise<string> {
  const direct = path.resolve(baseDir, flow);
  if ((await pathKind(direct)) !== undefined) return direct;
  const underFlows = path.resolve(baseDir, 'flows', flow);
  if (!path.isAbsolute(flow) && (await pathKind(underFlows)) !== undefined) return underFlows;
  return direct;
}

function validateConnections(block: Block<Blocks['connections']>): ConnectionConfig[] {
  const connections = (block.value ?? []).map((raw, index) => parseConnection(block.source, raw, ['connections', index]));
  rejectDuplicateNames(block.source, connections.map((connection) => connection.name), ['connections'], 'connection');
  return connections;
}

async function validateDatasets(block: Block<Blocks['datasets']>, baseDir: string): Promise<ExperimentDataset[]> {
  const raw = block.value ?? [];
  rejectDuplicateNames(block.source, raw.map((dataset) => dataset.name), ['datasets'], 'dataset');
  const datasets: ExperimentDataset[] = [];
  for (const [index, dataset] of raw.entries()) {
    const at: FieldPath = ['datasets', index];
    datasets.push({
      name: dataset.name,
      source: dataset.source,
      data: await resolveDataSource(block.source, [...at, 'source'], baseDir, dataset.source),
      ...(dataset.description ? { description: dataset.description } : {}),
      mappings: validateMappings(block.source, [...at, 'mappings'], dataset.mappings, 'experiment-dataset'),
      location: block.source.locate(at),
    });
  }
  return datasets;
}

async function validateEvaluators(
  block: Block<Blocks['evaluators']>,
  experimentDatasets: ExperimentDataset[],
  datasetsBlock: Block<unknown>,
  baseDir: string,
): Promise<EvaluatorConfig[]> {
  const raw = block.value ?? [];
  const { source } = block;
  rejectDuplicateNames(source, raw.map((evaluator) => evaluator.name), ['evaluators'], 'evaluator');
  const byName = new Map(experimentDatasets.map((dataset) => [dataset.name, dataset]));
  const datasetNames = [...byName.keys()];
  // When an overlay replaced the datasets but not the evaluators, say so: the reference was
  // right in the base file and broke only for this environment.
  const datasetsFrom = datasetsBlock.source === source ? '' : ` (datasets come from ${datasetsBlock.source.file})`;

  const evaluators: EvaluatorConfig[] = [];
  for (const [index, evaluator] of raw.entries()) {
    const at: FieldPath = ['evaluators', index];
    // Checked before the datasets: a builtin's inputs decide which mappings are valid.
    const builtin = validateBuiltin(source, at, evaluator);
    rejectDuplicateNames(source, evaluator.datasets.map((dataset) => dataset.name), [...at, 'datasets'], 'evaluator dataset');
    const datasets: EvaluatorDataset[] = [];
    for (const [datasetIndex, dataset] of evaluator.datasets.entries()) {
      const datasetAt: FieldPath = [...at, 'datasets', datasetIndex];
      const mappings = validateMappings(source, [...datasetAt, 'mappings'], dataset.mappings, 'evaluator-dataset');
      if (builtin) rejectUnknownInputs(source, [...datasetAt, 'mappings'], mappings, builtin.evaluator);
      const location = source.locate(datasetAt);
      const description = dataset.description ? { description: dataset.description } : {};
      const reused = byName.get(dataset.name);
      if (reused) {
        for (const key of ['source', 'reference'] as const) {
          if (dataset[key] !== undefined) {
            throw source.errorAt(
              [...datasetAt, key],
              `not allowed: '${dataset.name}' names an experiment dataset and evaluates its runs on its data; ` +
                `give this dataset another name to use its own ${key}`,
              'key',
            );
          }
        }
        datasets.push({ name: dataset.name, source: reused.source, data: reused.data, ...description, mappings, location });
        continue;
      }
      if (dataset.reference === undefined) {
        throw source.errorAt(
          datasetAt,
          `missing required key 'reference' (the experiment dataset whose runs '${dataset.name}' evaluates; one of: ${datasetNames.join(', ') || 'none'})`,
        );
      }
      if (!byName.has(dataset.reference)) {
        throw source.errorAt([...datasetAt, 'reference'], unknownNameMessage('dataset', dataset.reference, datasetNames) + datasetsFrom);
      }
      if (dataset.source === undefined) {
        throw source.errorAt(datasetAt, `missing required key 'source' (the data file of evaluator dataset '${dataset.name}')`);
      }
      datasets.push({
        name: dataset.name,
        reference: dataset.reference,
        source: dataset.source,
        data: await resolveDataSource(source, [...datasetAt, 'source'], baseDir, dataset.source),
        ...description,
        mappings,
        location,
      });
    }

    const flow = builtin?.flow ?? (await resolveEvaluatorFlow(source, at, evaluator, baseDir));
    evaluators.push({ name: evaluator.name, flow, datasets, location: source.locate(at) });
  }
  return evaluators;
}

type RawEvaluator = NonNullable<Blocks['evaluators']>[number];

async function resolveEvaluatorFlow(source: YamlSource, at: FieldPath, evaluator: RawEvaluator, baseDir: string): Promise<ResolvedFlow> {
  const flowField: FieldPath = evaluator.flow === undefined ? [...at, 'name'] : [...at, 'flow'];
  let hint = '';
  if (evaluator.flow === undefined) {
    // An evaluator named like a builtin, with neither `flow` nor `builtin`, most likely meant the builtin.
    const named = lookupBuiltin(evaluator.name);
    const builtinHint = named.kind === 'found' ? `; for the builtin evaluator write 'builtin: ${named.evaluator.name}'` : '';
    hint = ` (flow defaults to the evaluator name${builtinHint})`;
  }
  return resolveFlow(await flowPathWithFallback(baseDir, evaluator.flow ?? evaluator.name), {
    location: source.locate(flowField),
    field: formatFieldPath([...at, 'flow']),
    hint,
  });
}

/**
 * `builtin:` and `init:` of an evaluator: the builtin exists and is offered, its init parameters
 * are known and well typed, required ones are given. Undefined for an evaluation flow.
 */
function validateBuiltin(
  source: YamlSource,
  at: FieldPath,
  evaluator: RawEvaluator,
): { evaluator: BuiltinEvaluator; flow: ResolvedFlow } | undefined {
  if (evaluator.builtin === undefined) {
    if (evaluator.init != null) {
      throw source.errorAt(
        [...at, 'init'],
        'only builtin evaluators take init; an evaluation flow with init reads it from init.json next to its flow.flex.yaml',
        'key',
      );
    }
    return undefined;
  }
  if (evaluator.flow !== undefined) {
    throw source.errorAt(
      [...at, 'builtin'],
      "not allowed together with 'flow': an evaluator is either an evaluation flow or a builtin evaluator; remove one",
      'key',
    );
  }

  const written = evaluator.builtin.trim();
  const lookup = lookupBuiltin(written);
  if (lookup.kind === 'unavailable') {
    throw source.errorAt(
      [...at, 'builtin'],
      `'${written}' is not offered: azure-ai-evaluation's ${lookup.className} ${lookup.reason}; ` +
        `the builtin evaluators run offline: ${BUILTIN_NAMES.join(', ')}`,
    );
  }
  if (lookup.kind === 'unknown') {
    throw source.errorAt([...at, 'builtin'], unknownNameMessage('builtin evaluator', written, BUILTIN_NAMES));
  }

  const builtin = lookup.evaluator;
  const known = Object.keys(builtin.init);
  const init: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(evaluator.init ?? {})) {
    const parameter = builtin.init[key];
    const field: FieldPath = [...at, 'init', key];
    if (!parameter) {
      const expected = known.length > 0 ? didYouMean(key, known) || `; expected one of: ${known.join(', ')}` : '; it takes none';
      throw source.errorAt(field, `unknown init parameter '${key}' of builtin '${builtin.name}'${expected}`, 'key');
    }
    if (parameter.type === 'number') {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw source.errorAt(field, `expected a number, found ${describeValue(value)}`);
    } else if (typeof value !== 'string') {
      throw source.errorAt(field, `expected a string, found ${describeValue(value)}`);
    } else if (parameter.choices && !parameter.choices.includes(value)) {
      throw source.errorAt(field, unknownNameMessage(key, value, parameter.choices));
    }
    init[key] = value as string | number;
  }
  for (const [key, parameter] of Object.entries(builtin.init)) {
    if (parameter.required && !(key in init)) {
      const values = parameter.choices ? `one of: ${parameter.choices.join(', ')}` : parameter.description;
      throw source.errorAt([...at, 'builtin'], `'${builtin.name}' needs init.${key} (${values})`);
    }
  }
  return { evaluator: builtin, flow: builtinFlowPlaceholder({ name: builtin.name, init }) };
}

/**
 * A builtin is called with its own keyword arguments: a mapping to any other name fills nothing,
 * and usually means the argument it was meant for stays empty. (An unmapped argument is fine: a
 * data column of the same name fills it, as for any flow.)
 */
function rejectUnknownInputs(source: YamlSource, at: FieldPath, mappings: Record<string, string>, builtin: BuiltinEvaluator): void {
  for (const input of Object.keys(mappings)) {
    if (builtin.inputs.includes(input)) continue;
    const expected = didYouMean(input, builtin.inputs) || `; expected one of: ${builtin.inputs.join(', ')}`;
    throw source.errorAt([...at, input], `'${builtin.name}' has no input '${input}'${expected}`, 'key');
  }
}

function validateMappings(
  source: YamlSource,
  at: FieldPath,
  mappings: Record<string, unknown> | null | undefined,
  context: MappingContext,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [input, value] of Object.entries(mappings ?? {})) {
    const problem = mappingProblem(value, context);
    if (problem !== undefined) throw source.errorAt([...at, input], problem);
    result[input] = mappingValueToString(value as string | number | boolean);
  }
  return result;
}

/** A scheme of two or more letters (`azureml:`, `https:`), so `C:\data` stays a local path. */
const REMOTE_SOURCE = /^[A-Za-z][A-Za-z0-9+.-]+:/;

async function resolveDataSource(source: YamlSource, at: FieldPath, baseDir: string, written: string): Promise<DataSource> {
  if (REMOTE_SOURCE.test(written)) return { kind: 'remote', uri: written };
  const direct = path.resolve(baseDir, written);
  if ((await pathKind(direct)) !== undefined) return { kind: 'local', path: direct };
  const underData = path.resolve(baseDir, 'data', written);
  if (!path.isAbsolute(written) && (await pathKind(underData)) !== undefined) return { kind: 'local', path: underData };
  throw source.errorAt(at, `data file not found: ${direct}`);
}

function rejectDuplicateNames(source: YamlSource, names: string[], listPath: FieldPath, kind: string): void {
  const firstIndex = new Map<string, number>();
  names.forEach((name, index) => {
    const first = firstIndex.get(name);
    if (first === undefined) {
      firstIndex.set(name, index);
      return;
    }
    const firstLine = source.locate([...listPath, first, 'name']).line;
    throw source.errorAt([...listPath, index, 'name'], `duplicate ${kind} name '${name}' (first defined on line ${firstLine})`);
  });
}

function gatesOf(block: Block<Blocks['gates']>): GateExpression[] {
  return (block.value ?? []).map((expression, index) => ({
    expression: expression.trim(),
    location: block.source.locate(['gates', index]),
  }));
}
