/**
 * Builtin evaluators in experiment.yaml: `builtin:` instead of `flow:`, `init:` for the
 * constructor, mappings to the evaluator's own inputs. Every mistake is one located line; the
 * fixtures are in tests/fixtures/builtin/malformed, open one next to its expected line.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../packages/core/src/config/index.js';
import { planExperiment, planToJson } from '../../packages/core/src/plan/index.js';
import { userErrorOf } from '../config/helpers.js';
import { builtinDir, malformedDir } from './support.js';

/** [fixture name, line:col, message] */
const cases: [string, string, string][] = [
  [
    'flow-and-builtin',
    '11:3',
    "evaluators[0].builtin: not allowed together with 'flow': an evaluator is either an evaluation flow or a builtin evaluator; remove one",
  ],
  // Neither: `flow` defaults to the evaluator name, as in the template; a builtin's name hints at `builtin:`.
  [
    'neither',
    '9:9',
    `evaluators[0].flow: not found: ${path.join(malformedDir, 'f1_score')} (flow defaults to the evaluator name; for the builtin evaluator write 'builtin: f1_score')`,
  ],
  ['unknown-builtin', '10:12', "evaluators[0].builtin: unknown builtin evaluator 'f1_scor'; did you mean 'f1_score'?"],
  ['unknown-builtin-far', '10:12', "evaluators[0].builtin: unknown builtin evaluator 'groundedness'; expected one of: f1_score, rouge"],
  [
    'unavailable-builtin',
    '10:12',
    "evaluators[0].builtin: 'BleuScoreEvaluator' is not offered: azure-ai-evaluation's BleuScoreEvaluator downloads NLTK data at run time; the builtin evaluators run offline: f1_score, rouge",
  ],
  [
    'init-without-builtin',
    '11:3',
    'evaluators[0].init: only builtin evaluators take init; an evaluation flow with init reads it from init.json next to its flow.flex.yaml',
  ],
  ['unknown-init', '12:5', "evaluators[0].init.treshold: unknown init parameter 'treshold' of builtin 'f1_score'; did you mean 'threshold'?"],
  ['init-not-number', '12:16', 'evaluators[0].init.threshold: expected a number, found a string'],
  [
    'rouge-without-type',
    '10:12',
    "evaluators[0].builtin: 'rouge' needs init.rouge_type (one of: rouge1, rouge2, rouge3, rouge4, rouge5, rougeL)",
  ],
  ['rouge-bad-type', '12:17', "evaluators[0].init.rouge_type: unknown rouge_type 'rougel'; did you mean 'rougeL'?"],
  [
    'unknown-input',
    '14:7',
    "evaluators[0].datasets[0].mappings.answer: 'f1_score' has no input 'answer'; expected one of: response, ground_truth",
  ],
];

describe('builtin evaluators in experiment.yaml: one line at file:line:col', () => {
  it.each(cases)('%s', async (name, lineColumn, message) => {
    const file = path.join(malformedDir, `${name}.yaml`);
    expect(await userErrorOf(loadExperiment(file, { environ: {} }))).toBe(`${file}:${lineColumn}: ${message}`);
  });
});

describe('a builtin evaluator in the plan', () => {
  const config = path.join(builtinDir, 'experiment.yaml');

  it('resolves the name or the class name to the catalog entry, with its init', async () => {
    const experiment = await loadExperiment(config, { environ: {} });
    expect(experiment.evaluators.map((evaluator) => [evaluator.name, evaluator.flow.builtin])).toEqual([
      ['f1', { name: 'f1_score', init: { threshold: 0.35 } }],
      ['rouge_l', { name: 'rouge', init: { rouge_type: 'rougeL' } }],
    ]);
    // A flex class flow like any other, but no folder yet: the evaluate stage writes it.
    expect(experiment.evaluators[0]!.flow).toMatchObject({ kind: 'flex-class', path: 'builtin:f1_score' });
  });

  it('plans one evaluation per evaluator and run in a dry run, shown as builtin:<name>', async () => {
    const experiment = await loadExperiment(config, { environ: {} });
    const plan = planToJson(planExperiment(experiment), experiment.baseDir);
    expect(plan.evaluations.map(({ id, evaluator, flow, flow_kind, run, column_mapping }) => ({ id, evaluator, flow, flow_kind, run, column_mapping }))).toEqual([
      {
        id: 'builtin_qa__qa__f1__qa',
        evaluator: 'f1',
        flow: 'builtin:f1_score',
        flow_kind: 'flex-class',
        run: 'builtin_qa__qa',
        column_mapping: { response: '${run.outputs.answer}', ground_truth: '${data.expected}' },
      },
      {
        id: 'builtin_qa__qa__rouge_l__qa',
        evaluator: 'rouge_l',
        flow: 'builtin:rouge',
        flow_kind: 'flex-class',
        run: 'builtin_qa__qa',
        column_mapping: { response: '${run.outputs.answer}', ground_truth: '${data.expected}' },
      },
    ]);
  });
});
