import { describe, expect, it } from 'vitest';
import { editDistance, mappingProblem, nearest } from '../../packages/core/src/config/index.js';

describe('column mapping values', () => {
  it.each(['${data.text}', '${data.nested.field}', 'a literal', 42, true])('accepts %s everywhere', (value) => {
    expect(mappingProblem(value, 'experiment-dataset')).toBeUndefined();
    expect(mappingProblem(value, 'evaluator-dataset')).toBeUndefined();
  });

  it.each(['${run.outputs.category}', '${run.inputs.url}', '${target.output}'])('accepts %s in evaluator datasets only', (value) => {
    expect(mappingProblem(value, 'evaluator-dataset')).toBeUndefined();
    expect(mappingProblem(value, 'experiment-dataset')).toBe(
      `'${value}' refers to the run being evaluated; only evaluator datasets have one. Use \${data.<column>}`,
    );
  });

  it.each(['${data}', '${data.}', '${inputs.text}', '${run.outputs}', '${data.text', 'x ${data.text}'])('rejects %s', (value) => {
    expect(mappingProblem(value, 'evaluator-dataset')).toBe(`'${value}' is not a binding; use \${data.<column>} or \${run.outputs.<name>}`);
  });
});

describe('suggestions', () => {
  it('counts a swap of adjacent letters as one edit', () => {
    expect(editDistance('dataset', 'datasets')).toBe(1);
    expect(editDistance('trian', 'train')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests only plausible typos', () => {
    expect(nearest('evaluator', ['datasets', 'evaluators'])).toBe('evaluators');
    expect(nearest('colour', ['name', 'flow', 'datasets'])).toBeUndefined();
  });
});
