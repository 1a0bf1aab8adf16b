import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExperiment, type Experiment } from '../../packages/core/src/config/index.js';
import { planExperiment, planToJson } from '../../packages/core/src/plan/index.js';
import { userErrorOfCall, usecaseDir } from '../config/helpers.js';

/**
 * The fixture flow tests/fixtures/config/usecase/flows/classify has two nodes with variants:
 * summarize: short (default), long; classify: zero_shot, few_shot (default), chain_of_thought.
 */
let experiment: Experiment;
beforeAll(async () => {
  experiment = await loadExperiment(path.join(usecaseDir, 'experiment.yaml'), { environ: {} });
});

const trainRuns = (variants: string) =>
  planExperiment(experiment, { variants })
    .runs.filter((run) => run.dataset === 'train')
    .map((run) => run.variants);

const DEFAULTS = { summarize: 'short', classify: 'few_shot' };

describe('variant selection', () => {
  it('defaults: one run per dataset, every node at its default', () => {
    const plan = planExperiment(experiment, { variants: 'defaults' });
    expect(plan.runs.map((run) => [run.dataset, run.variants])).toEqual([
      ['train', DEFAULTS],
      ['holdout', DEFAULTS],
      ['registered', DEFAULTS],
    ]);
    expect(planExperiment(experiment).runs).toEqual(plan.runs);
  });

  it("all: each node's variants with the others at default, the all-defaults run once", () => {
    expect(trainRuns('all')).toEqual([
      { summarize: 'short', classify: 'few_shot' },
      { summarize: 'long', classify: 'few_shot' },
      { summarize: 'short', classify: 'zero_shot' },
      { summarize: 'short', classify: 'chain_of_thought' },
    ]);
    expect(trainRuns('*')).toEqual(trainRuns('all'));
  });

  it('all-combinations: the cartesian product, first node varying slowest', () => {
    expect(trainRuns('all-combinations')).toEqual([
      { summarize: 'short', classify: 'zero_shot' },
      { summarize: 'short', classify: 'few_shot' },
      { summarize: 'short', classify: 'chain_of_thought' },
      { summarize: 'long', classify: 'zero_shot' },
      { summarize: 'long', classify: 'few_shot' },
      { summarize: 'long', classify: 'chain_of_thought' },
    ]);
  });

  it('an explicit list: each listed variant with the other nodes at default, in flow order', () => {
    expect(trainRuns('classify.chain_of_thought, summarize.long')).toEqual([
      { summarize: 'long', classify: 'few_shot' },
      { summarize: 'short', classify: 'chain_of_thought' },
    ]);
    // Listing a default variant gives the all-defaults run; a bare id selects it on any node.
    expect(trainRuns('classify.few_shot')).toEqual([DEFAULTS]);
    expect(trainRuns('zero_shot')).toEqual([{ summarize: 'short', classify: 'zero_shot' }]);
  });

  it('rejects unknown nodes and variants, listing the known ones', () => {
    const known = 'summarize.short, summarize.long, classify.zero_shot, classify.few_shot, classify.chain_of_thought';
    expect(userErrorOfCall(() => planExperiment(experiment, { variants: 'summarize.medium' }))).toBe(
      `variants: unknown variant 'summarize.medium' (known: ${known})`,
    );
    expect(userErrorOfCall(() => planExperiment(experiment, { variants: 'sumarize.long' }))).toBe(
      `variants: unknown node 'sumarize' in 'sumarize.long' (known: ${known}); did you mean 'summarize.long'?`,
    );
  });

  it('gives flex and prompty flows one run per dataset and refuses explicit variants', async () => {
    for (const file of ['experiment-flex-function.yaml', 'experiment-flex-class.yaml', 'experiment-prompty.yaml']) {
      const flexible = await loadExperiment(path.join(usecaseDir, file), { environ: {} });
      for (const variants of ['defaults', 'all', 'all-combinations']) {
        expect(planExperiment(flexible, { variants }).runs.map((run) => run.variants)).toEqual([{}]);
      }
      expect(userErrorOfCall(() => planExperiment(flexible, { variants: 'node.variant_1' }))).toBe(
        `variants: 'node.variant_1' selects variants, but ${flexible.flow.definitionFile} is a ${flexible.flow.kind} flow; use defaults`,
      );
    }
  });
});

describe('run ids and evaluations', () => {
  it('names runs stably: experiment, dataset and the nodes off their default', () => {
    const ids = planExperiment(experiment, { variants: 'all' }).runs.map((run) => run.id);
    expect(ids.slice(0, 4)).toEqual([
      'classify_tickets__train',
      'classify_tickets__train__summarize-long',
      'classify_tickets__train__classify-zero_shot',
      'classify_tickets__train__classify-chain_of_thought',
    ]);
    // The defaults run keeps its id whatever the selection.
    expect(planExperiment(experiment, { variants: 'defaults' }).runs[0]!.id).toBe(ids[0]);
  });

  it('plans one evaluation per evaluator dataset whose name or reference is the run dataset', () => {
    // Runs follow the flow's node order (summarize before classify), not the list's.
    const plan = planExperiment(experiment, { variants: 'classify.few_shot,summarize.long' });
    expect(plan.evaluations.map((evaluation) => [evaluation.id, evaluation.dataset, evaluation.run])).toEqual([
      ['classify_tickets__train__summarize-long__accuracy__train_eval', 'train_eval', 'classify_tickets__train__summarize-long'],
      ['classify_tickets__train__accuracy__train_eval', 'train_eval', 'classify_tickets__train'],
      ['classify_tickets__holdout__summarize-long__accuracy__holdout', 'holdout', 'classify_tickets__holdout__summarize-long'],
      ['classify_tickets__holdout__accuracy__holdout', 'holdout', 'classify_tickets__holdout'],
    ]);
    // The reused experiment dataset evaluates on its own data; `registered` has no evaluator dataset.
    expect(plan.evaluations[3]!.data).toBe(path.join(usecaseDir, 'data/holdout.jsonl'));
  });

  it('plans no evaluations when an overlay clears the evaluators', async () => {
    const dev = await loadExperiment(path.join(usecaseDir, 'experiment.yaml'), { env: 'dev', environ: {} });
    const plan = planExperiment(dev, { variants: 'defaults' });
    expect(plan.env).toBe('dev');
    expect(plan.runs.map((run) => run.id)).toEqual(['classify_tickets__dev_sample']);
    expect(plan.evaluations).toEqual([]);
  });
});

describe('planToJson', () => {
  it('gives snake_case JSON with POSIX paths relative to the experiment folder', () => {
    const json = planToJson(planExperiment(experiment, { variants: 'defaults' }), usecaseDir);
    expect(json).toEqual({
      experiment: 'classify_tickets',
      env: null,
      runs: [
        {
          id: 'classify_tickets__train',
          flow: 'flows/classify',
          flow_kind: 'dag',
          dataset: 'train',
          data: 'data/train.jsonl',
          variants: DEFAULTS,
          column_mapping: { text: '${data.text}' },
        },
        {
          id: 'classify_tickets__holdout',
          flow: 'flows/classify',
          flow_kind: 'dag',
          dataset: 'holdout',
          data: 'data/holdout.jsonl',
          variants: DEFAULTS,
          column_mapping: { text: '${data.text}' },
        },
        {
          id: 'classify_tickets__registered',
          flow: 'flows/classify',
          flow_kind: 'dag',
          dataset: 'registered',
          data: 'azureml:tickets:3',
          variants: DEFAULTS,
          column_mapping: { text: '${data.text}' },
        },
      ],
      evaluations: [
        {
          id: 'classify_tickets__train__accuracy__train_eval',
          evaluator: 'accuracy',
          flow: 'flows/eval_accuracy',
          flow_kind: 'dag',
          dataset: 'train_eval',
          data: 'data/train_eval.jsonl',
          run: 'classify_tickets__train',
          column_mapping: { groundtruth: '${data.label}', prediction: '${run.outputs.category}' },
        },
        {
          id: 'classify_tickets__holdout__accuracy__holdout',
          evaluator: 'accuracy',
          flow: 'flows/eval_accuracy',
          flow_kind: 'dag',
          dataset: 'holdout',
          data: 'data/holdout.jsonl',
          run: 'classify_tickets__holdout',
          column_mapping: { groundtruth: '${data.label}', prediction: '${run.outputs.category}' },
        },
      ],
    });
  });

  it('makes paths relative to any base folder', () => {
    const json = planToJson(planExperiment(experiment), path.dirname(usecaseDir));
    expect(json.runs[0]!.flow).toBe('usecase/flows/classify');
    expect(json.runs[0]!.data).toBe('usecase/data/train.jsonl');
  });
});
