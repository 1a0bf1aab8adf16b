import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment, overlayPathFor } from '../../packages/core/src/config/index.js';
import { usecaseDir } from './helpers.js';

const experimentFile = path.join(usecaseDir, 'experiment.yaml');
const data = (name: string) => ({ kind: 'local', path: path.join(usecaseDir, 'data', name) });

describe('loadExperiment', () => {
  it('loads the fixture use case with paths resolved against the experiment folder', async () => {
    const experiment = await loadExperiment(experimentFile, { environ: {} });
    expect(experiment.name).toBe('classify_tickets');
    expect(experiment.env).toBeUndefined();
    expect(experiment.baseDir).toBe(usecaseDir);
    expect(experiment.flow.path).toBe(path.join(usecaseDir, 'flows/classify'));
    expect(experiment.flow.kind).toBe('dag');
    expect(experiment.runtime).toBe('automatic');
    expect(experiment.warnings).toEqual([]);

    expect(experiment.datasets.map(({ name, data: source, mappings, description }) => ({ name, source, mappings, description }))).toEqual([
      { name: 'train', source: data('train.jsonl'), mappings: { text: '${data.text}' }, description: 'Tickets to classify.' },
      // `holdout.jsonl` is not next to experiment.yaml: found under data/, as the template does.
      { name: 'holdout', source: data('holdout.jsonl'), mappings: { text: '${data.text}' }, description: undefined },
      // Not a local path: kept as a remote reference, not an error.
      { name: 'registered', source: { kind: 'remote', uri: 'azureml:tickets:3' }, mappings: { text: '${data.text}' }, description: undefined },
    ]);
    expect(experiment.datasets[0]!.location).toEqual({ file: experimentFile, line: 20, column: 3 });
  });

  it('links evaluator datasets by reference or by reusing an experiment dataset', async () => {
    const [evaluator] = (await loadExperiment(experimentFile, { environ: {} })).evaluators;
    expect(evaluator!.name).toBe('accuracy');
    expect(evaluator!.flow.path).toBe(path.join(usecaseDir, 'flows/eval_accuracy'));
    expect(evaluator!.datasets.map(({ name, reference, data: source, mappings }) => ({ name, reference, source, mappings }))).toEqual([
      {
        name: 'train_eval',
        reference: 'train',
        source: data('train_eval.jsonl'),
        mappings: { groundtruth: '${data.label}', prediction: '${run.outputs.category}' },
      },
      {
        name: 'holdout',
        reference: undefined,
        source: data('holdout.jsonl'),
        mappings: { groundtruth: '${data.label}', prediction: '${run.outputs.category}' },
      },
    ]);
  });

  it('keeps gates as strings with their locations, for the evaluate stage to parse', async () => {
    const { gates } = await loadExperiment(experimentFile, { environ: {} });
    expect(gates).toEqual([
      { expression: 'accuracy >= 0.8', location: { file: experimentFile, line: 52, column: 3 } },
      { expression: 'accuracy >= 0.7 on holdout', location: { file: experimentFile, line: 53, column: 3 } },
      { expression: 'accuracy >= baseline - 0.02', location: { file: experimentFile, line: 54, column: 3 } },
    ]);
  });

  it('keeps connection placeholders unresolved and records where each value is', async () => {
    const { connections } = await loadExperiment(experimentFile, { environ: {} });
    expect(connections.map(({ name, type, properties, configs, secrets }) => ({ name, type, properties, configs, secrets }))).toEqual([
      {
        name: 'aoai',
        type: 'AzureOpenAIConnection',
        properties: {
          api_base: 'https://example.openai.azure.com/',
          api_version: '2024-02-01',
          api_key: '${api_key}',
          api_type: 'azure',
        },
        configs: {},
        secrets: {},
      },
      {
        name: 'search',
        type: 'CustomConnection',
        properties: {},
        configs: { endpoint: 'https://search.example.net' },
        secrets: { token: '${token}' },
      },
    ]);
    expect(connections[0]!.valueLocations.api_key).toEqual({ file: experimentFile, line: 10, column: 12 });
  });

  it('defaults flow and evaluator flow to their names, looking under flows/', async () => {
    const experiment = await loadExperiment(path.join(usecaseDir, 'experiment-prompty.yaml'), { environ: {} });
    expect(experiment.flow).toMatchObject({ kind: 'prompty', path: path.join(usecaseDir, 'flows/answer.prompty') });
    expect(experiment.evaluators[0]!.flow.path).toBe(path.join(usecaseDir, 'flows/eval_accuracy'));
    // Literal mapping values are passed to promptflow as strings.
    expect(experiment.evaluators[0]!.datasets[0]!.mappings.strict).toBe('true');
  });
});

describe('experiment.<env>.yaml overlays', () => {
  const load = (env?: string, environ: NodeJS.ProcessEnv = {}) => loadExperiment(experimentFile, { env, environ });

  it('replaces whole blocks and clears a block named with an empty value', async () => {
    const experiment = await load('dev');
    expect(experiment.env).toBe('dev');
    expect(experiment.overlayFile).toBe(path.join(usecaseDir, 'experiment.dev.yaml'));
    expect(experiment.datasets.map((dataset) => dataset.name)).toEqual(['dev_sample']);
    expect(experiment.datasets[0]!.location.file).toBe(path.join(usecaseDir, 'experiment.dev.yaml'));
    expect(experiment.evaluators).toEqual([]);
    expect(experiment.runtime).toBe('dev-runtime');
    // Blocks the overlay does not name are the base's.
    expect(experiment.connections.map((connection) => connection.name)).toEqual(['aoai', 'search']);
    expect(experiment.gates).toHaveLength(3);
  });

  it('clears with an empty value or an empty list alike', async () => {
    const experiment = await load('nogates');
    expect(experiment.gates).toEqual([]);
    expect(experiment.connections).toEqual([]);
    expect(experiment.datasets).toHaveLength(3);
  });

  it('changes nothing with an empty overlay file', async () => {
    const [base, overlaid] = await Promise.all([load(), load('empty')]);
    expect(overlaid.overlayFile).toBe(path.join(usecaseDir, 'experiment.empty.yaml'));
    expect({ ...overlaid, env: undefined, overlayFile: undefined }).toEqual({ ...base, env: undefined, overlayFile: undefined });
  });

  it('treats a missing overlay for the requested env as no overlay, as the template does', async () => {
    const [base, staging] = await Promise.all([load(), load('staging')]);
    expect(staging.env).toBe('staging');
    expect(staging.overlayFile).toBeUndefined();
    expect(staging.datasets).toEqual(base.datasets);
    expect(staging.warnings).toEqual([]);
  });

  it('takes the env from ENV_NAME when none is given, as the template does', async () => {
    const experiment = await load(undefined, { ENV_NAME: 'dev' });
    expect(experiment.env).toBe('dev');
    expect(experiment.datasets.map((dataset) => dataset.name)).toEqual(['dev_sample']);
  });

  it('ignores name and flow in an overlay, with a located warning when they differ from the base', async () => {
    const experiment = await load('renamed');
    expect(experiment.name).toBe('classify_tickets');
    const overlay = path.join(usecaseDir, 'experiment.renamed.yaml');
    expect(experiment.warnings).toEqual([
      {
        message: 'name: ignored in an overlay; only datasets, evaluators, connections, runtime and gates are overlaid',
        location: { file: overlay, line: 1, column: 1 },
      },
    ]);
  });

  it('derives the overlay name from the experiment file name', () => {
    expect(overlayPathFor('uc/experiment.yaml', 'dev')).toBe('uc/experiment.dev.yaml');
    expect(overlayPathFor('uc/experiment-postprod.yaml', 'prod')).toBe('uc/experiment-postprod.prod.yaml');
  });
});

describe('loadExperiment with a folder', () => {
  it("reads the folder's experiment.yaml, the template's default file name", async () => {
    const experiment = await loadExperiment(usecaseDir, { environ: {} });
    expect(experiment.configFile).toBe(experimentFile);
    expect(experiment.name).toBe('classify_tickets');
  });
});
