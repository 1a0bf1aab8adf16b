/**
 * Every malformed experiment.yaml gives exactly one line: `file:line:col: field: problem`.
 * The fixtures are in tests/fixtures/config/malformed; open one next to its expected line.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../packages/core/src/config/index.js';
import { malformedDir, usecaseDir, userErrorOf } from './helpers.js';

const flows = path.join(usecaseDir, 'flows');

/** [fixture name, line:col, message] */
const cases: [string, string, string][] = [
  // YAML itself
  ['yaml-syntax', '6:1', 'YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  ['tabs', '5:1', 'YAML syntax error: Tabs are not allowed as indentation'],
  ['duplicate-key', '3:1', 'YAML syntax error: Map keys must be unique'],
  ['empty', '1:1', 'experiment file is empty'],
  ['comments-only', '1:1', 'experiment file is empty'],
  ['root-list', '1:1', 'expected a mapping, found a list'],
  // unknown keys, with the nearest known key
  ['unknown-top-key', '3:1', "dataset: unknown key 'dataset'; did you mean 'datasets'?"],
  ['unknown-key-far', '8:1', "colour: unknown key 'colour'; expected one of: name, flow, connections, datasets, evaluators, runtime, gates"],
  ['unknown-dataset-key', '6:3', "datasets[0].mapping: unknown key 'mapping'; did you mean 'mappings'?"],
  ['unknown-evaluator-key', '10:3', "evaluators[0].flows: unknown key 'flows'; did you mean 'flow'?"],
  ['connection-unknown-key', '6:3', "connections[0].api_bas: unknown key 'api_bas'; did you mean 'api_base'?"],
  [
    'connection-unknown-type',
    '5:20',
    "connections[0].connection_type: unknown connection type 'AzureOpenAiConection'; did you mean 'AzureOpenAIConnection'?",
  ],
  // missing fields and wrong types
  ['missing-name', '1:1', "missing required key 'name'"],
  ['missing-source', '4:3', "datasets[0]: missing required key 'source'"],
  ['connection-missing-key', '4:3', "connections[0]: missing required key 'api_key'"],
  ['name-list', '1:7', 'name: expected a string, found a list'],
  ['empty-name', '1:7', 'name: must not be empty'],
  ['datasets-mapping', '4:3', 'datasets: expected a list, found a mapping'],
  ['mappings-list', '7:3', 'datasets[0].mappings: expected a mapping, found a list'],
  ['runtime-list', '8:10', 'runtime: expected a string, found a list'],
  ['gate-mapping', '10:3', 'gates[1]: expected a string, found a mapping'],
  ['no-datasets', '1:1', 'datasets: no datasets configured; an experiment needs at least one'],
  ['empty-datasets', '3:11', 'datasets: no datasets configured; an experiment needs at least one'],
  ['evaluator-no-datasets', '11:13', 'evaluators[0].datasets: an evaluator needs at least one dataset'],
  // bindings
  ['bad-binding', '11:11', "datasets[1].mappings.text: '${dat.ticket}' is not a binding; use ${data.<column>} or a literal value"],
  [
    'bad-evaluator-binding',
    '14:19',
    "evaluators[0].datasets[0].mappings.prediction: '${run.output.category}' is not a binding; use ${data.<column>} or ${run.outputs.<name>}",
  ],
  [
    'run-binding-in-dataset',
    '7:11',
    "datasets[0].mappings.text: '${run.outputs.text}' refers to the run being evaluated; only evaluator datasets have one. Use ${data.<column>}",
  ],
  ['mixed-binding', '7:11', "datasets[0].mappings.text: 'Ticket: ${data.text}' is not a binding; use ${data.<column>} or a literal value"],
  ['empty-binding', '7:5', 'datasets[0].mappings.text: empty value; use ${data.<column>} or a literal value'],
  // names and references
  ['duplicate-dataset', '8:9', "datasets[1].name: duplicate dataset name 'train' (first defined on line 4)"],
  ['duplicate-evaluator', '13:9', "evaluators[1].name: duplicate evaluator name 'accuracy' (first defined on line 9)"],
  ['duplicate-connection', '7:9', "connections[1].name: duplicate connection name 'aoai' (first defined on line 4)"],
  ['unknown-reference', '13:16', "evaluators[0].datasets[0].reference: unknown dataset 'trian'; did you mean 'train'?"],
  [
    'missing-reference',
    '12:5',
    "evaluators[0].datasets[0]: missing required key 'reference' (the experiment dataset whose runs 'train_eval' evaluates; one of: train)",
  ],
  [
    'reused-with-source',
    '13:5',
    "evaluators[0].datasets[0].source: not allowed: 'train' names an experiment dataset and evaluates its runs on its data; give this dataset another name to use its own source",
  ],
  // files and folders
  ['missing-flow', '2:7', `flow: not found: ${path.join(malformedDir, 'flows/nowhere')}`],
  ['default-flow-missing', '1:7', `flow: not found: ${path.join(malformedDir, 'bad')} (flow defaults to the experiment name)`],
  [
    'missing-evaluator-flow',
    '9:9',
    `evaluators[0].flow: not found: ${path.join(malformedDir, 'nowhere')} (flow defaults to the evaluator name)`,
  ],
  ['missing-data', '5:11', `datasets[0].source: data file not found: ${path.join(malformedDir, 'data/missing.jsonl')}`],
  [
    'flow-both',
    '2:7',
    `flow: ${path.join(flows, 'both')} holds flow.dag.yaml and flow.flex.yaml; a flow folder must have only one, remove the other`,
  ],
  [
    'flow-prompty-dir',
    '2:7',
    `flow: no flow.dag.yaml or flow.flex.yaml in ${path.join(flows, 'prompty_dir')}; to run the prompty in it, point at the file: ${path.join(flows, 'prompty_dir/basic.prompty')}`,
  ],
];

/** Problems inside a flow's own files are reported there, not in experiment.yaml. */
const flowFileCases: [string, string, string][] = [
  [
    'bad-default-variant',
    `${path.join(flows, 'bad_default/flow.dag.yaml')}:7:25`,
    "node_variants.summarize.default_variant_id: 'variant_9' is not a variant of 'summarize'; expected one of: variant_0, variant_1",
  ],
  ['flex-no-entry', `${path.join(flows, 'flex_no_entry/flow.flex.yaml')}:1:1`, "missing required key 'entry' (module:function or module:Class)"],
];

describe('malformed experiment.yaml: one line at file:line:col', () => {
  it('has at least 30 cases', () => {
    expect(cases.length + flowFileCases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('%s', async (name, lineColumn, message) => {
    const file = path.join(malformedDir, `${name}.yaml`);
    expect(await userErrorOf(loadExperiment(file, { environ: {} }))).toBe(`${file}:${lineColumn}: ${message}`);
  });

  it.each(flowFileCases)('%s (in the flow file)', async (name, place, message) => {
    const file = path.join(malformedDir, `${name}.yaml`);
    expect(await userErrorOf(loadExperiment(file, { environ: {} }))).toBe(`${place}: ${message}`);
  });

  it('names the resolved path of a missing experiment file', async () => {
    const file = path.join(malformedDir, 'no-such-experiment.yaml');
    expect(await userErrorOf(loadExperiment(file, { environ: {} }))).toBe(`experiment file not found: ${file}`);
  });

  it('shows the path as given, relative paths included', async () => {
    const relative = path.relative(process.cwd(), path.join(malformedDir, 'tabs.yaml'));
    expect(await userErrorOf(loadExperiment(relative, { environ: {} }))).toBe(
      `${relative}:5:1: YAML syntax error: Tabs are not allowed as indentation`,
    );
  });

  it('rejects an environment name that could escape the folder', async () => {
    expect(await userErrorOf(loadExperiment(path.join(usecaseDir, 'experiment.yaml'), { env: '../x', environ: {} }))).toBe(
      "env: '../x' is not an environment name; use letters, digits, '-' and '_'",
    );
  });
});

describe('broken overlays', () => {
  const experimentFile = path.join(usecaseDir, 'experiment.yaml');
  const load = (env: string) => loadExperiment(experimentFile, { env, environ: {} });

  it('reports YAML errors in the overlay at its place', async () => {
    expect(await userErrorOf(load('broken'))).toBe(
      `${path.join(usecaseDir, 'experiment.broken.yaml')}:4:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    );
  });

  it('reports unknown keys in the overlay with a suggestion', async () => {
    expect(await userErrorOf(load('typo'))).toBe(
      `${path.join(usecaseDir, 'experiment.typo.yaml')}:2:1: evaluator: unknown key 'evaluator'; did you mean 'evaluators'?`,
    );
  });

  it('says when replaced datasets break the references of the base evaluators', async () => {
    expect(await userErrorOf(load('orphan'))).toBe(
      `${experimentFile}:39:16: evaluators[0].datasets[0].reference: unknown dataset 'train'; expected one of: orphan` +
        ` (datasets come from ${path.join(usecaseDir, 'experiment.orphan.yaml')})`,
    );
  });
});
