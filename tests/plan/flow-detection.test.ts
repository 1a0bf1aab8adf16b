import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTopLevelDefinition, resolveFlow } from '../../packages/core/src/flow/index.js';
import { userErrorOf, usecaseDir } from '../config/helpers.js';

const flows = path.join(usecaseDir, 'flows');

describe('resolveFlow', () => {
  it('reads a DAG flow and its node variants in file order', async () => {
    expect(await resolveFlow(path.join(flows, 'classify'))).toEqual({
      path: path.join(flows, 'classify'),
      kind: 'dag',
      definitionFile: path.join(flows, 'classify/flow.dag.yaml'),
      nodeVariants: {
        summarize: { defaultVariant: 'short', variants: ['short', 'long'] },
        classify: { defaultVariant: 'few_shot', variants: ['zero_shot', 'few_shot', 'chain_of_thought'] },
      },
    });
  });

  it('accepts the flow file itself as the flow path', async () => {
    const flow = await resolveFlow(path.join(flows, 'classify/flow.dag.yaml'));
    expect(flow).toMatchObject({ kind: 'dag', path: path.join(flows, 'classify') });
  });

  it('tells a flex function from a flex class by the Python source', async () => {
    expect(await resolveFlow(path.join(flows, 'flex_function'))).toMatchObject({
      kind: 'flex-function',
      entry: 'answer:reply',
      kindEvidence: 'python-source',
      nodeVariants: {},
    });
    expect(await resolveFlow(path.join(flows, 'flex_class'))).toMatchObject({
      kind: 'flex-class',
      entry: 'chat:ChatFlow',
      kindEvidence: 'python-source',
      init: { model_config: { azure_deployment: 'gpt-35-turbo', connection: 'aoai', api_key: '${api_key}' }, max_total_token: 2048 },
      initFile: path.join(flows, 'flex_class/init.json'),
    });
  });

  it('without the Python module, decides class by init config, then by naming', async () => {
    expect(await resolveFlow(path.join(flows, 'flex_init_only'))).toMatchObject({
      kind: 'flex-class',
      entry: 'pkg.flows:Evaluator',
      kindEvidence: 'init-config',
      init: { threshold: 3 },
    });
    expect(await resolveFlow(path.join(flows, 'flex_named'))).toMatchObject({ kind: 'flex-class', kindEvidence: 'naming' });
  });

  it('takes a .prompty file as a prompty flow', async () => {
    const file = path.join(flows, 'answer.prompty');
    expect(await resolveFlow(file)).toEqual({ path: file, kind: 'prompty', definitionFile: file, nodeVariants: {} });
  });

  it('refuses folders that are not exactly one flow', async () => {
    expect(await userErrorOf(resolveFlow(path.join(flows, 'both')))).toBe(
      `flow: ${path.join(flows, 'both')} holds flow.dag.yaml and flow.flex.yaml; a flow folder must have only one, remove the other`,
    );
    expect(await userErrorOf(resolveFlow(path.join(flows, 'missing')))).toBe(`flow: not found: ${path.join(flows, 'missing')}`);
    expect(await userErrorOf(resolveFlow(path.join(flows, 'flex_function/answer.py')))).toBe(
      `flow: ${path.join(flows, 'flex_function/answer.py')} is not a flow: expected a flow folder, a flow YAML file or a .prompty file`,
    );
  });
});

describe('findTopLevelDefinition', () => {
  const source = ['import os', 'class ChatFlow:', '    def reply(self): ...', 'async def stream(x):', '    pass', 'def reply(): ...'].join('\n');

  it('finds top-level classes and functions only', () => {
    expect(findTopLevelDefinition(source, 'ChatFlow')).toBe('class');
    expect(findTopLevelDefinition(source, 'stream')).toBe('function');
    expect(findTopLevelDefinition(source, 'reply')).toBe('function');
    expect(findTopLevelDefinition('class A:\n    def inner(self): ...', 'inner')).toBeUndefined();
    expect(findTopLevelDefinition(source, 'Chat')).toBeUndefined();
  });
});
