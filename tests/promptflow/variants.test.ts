/** Variant selection and flow materialization: pure file work, no Python needed. */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ConfigurationError } from '../../packages/core/src/errors.js';
import { materializeFlowVariants, planVariantSelection } from '../../packages/core/src/promptflow/index.js';
import { examplesDir, tempDir } from './support.js';

const offlineFlow = path.join(examplesDir, 'offline-classification', 'flows', 'classify');
const defaults = { normalize: { defaultVariant: 'variant_0' }, classify: { defaultVariant: 'variant_0' } };

describe('planVariantSelection', () => {
  test('all defaults need no argument', () => {
    expect(planVariantSelection({ normalize: 'variant_0', classify: 'variant_0' }, defaults)).toEqual({
      kind: 'defaults',
    });
    expect(planVariantSelection({}, defaults)).toEqual({ kind: 'defaults' });
  });

  test("one node off its default is promptflow's own --variant", () => {
    expect(planVariantSelection({ normalize: 'variant_0', classify: 'variant_1' }, defaults)).toEqual({
      kind: 'single',
      argument: '${classify.variant_1}',
    });
  });

  test('two nodes off their default need a materialized flow', () => {
    expect(planVariantSelection({ normalize: 'variant_1', classify: 'variant_1' }, defaults)).toEqual({
      kind: 'materialize',
      offDefault: { normalize: 'variant_1', classify: 'variant_1' },
    });
  });
});

describe('materializeFlowVariants', () => {
  test('replaces each variant node by the chosen definition and drops node_variants', async () => {
    const out = path.join(await tempDir('materialize'), 'flow');
    const written = await materializeFlowVariants(offlineFlow, { normalize: 'variant_1', classify: 'variant_1' }, out);
    expect(written).toBe(path.join(out, 'flow.dag.yaml'));

    const text = await readFile(written, 'utf8');
    expect(text).toMatch(
      /^# Materialized by llmops from .*flow\.dag\.yaml\n# with node variants: normalize=variant_1, classify=variant_1\n/,
    );
    const dag = parse(text);
    expect(dag.node_variants).toBeUndefined();
    expect(dag.nodes).toEqual([
      {
        name: 'normalize',
        type: 'python',
        source: { type: 'code', path: 'normalize_tokens.py' },
        inputs: { text: '${inputs.text}' },
      },
      {
        name: 'classify',
        type: 'python',
        source: { type: 'code', path: 'classify_scored.py' },
        inputs: { text: '${normalize.output}' },
      },
    ]);
    expect(dag.inputs).toEqual(parse(await readFile(path.join(offlineFlow, 'flow.dag.yaml'), 'utf8')).inputs);
    // The code the nodes use is copied along; promptflow's caches are not.
    const files = await readdir(out);
    expect(files).toEqual(
      expect.arrayContaining(['classify_scored.py', 'normalize_tokens.py', 'classify_first_match.py']),
    );
    expect(files).not.toContain('.promptflow');
    expect(files).not.toContain('__pycache__');
  });

  test('nodes not named keep their default variant', async () => {
    const out = path.join(await tempDir('materialize'), 'flow');
    const dag = parse(
      await readFile(await materializeFlowVariants(offlineFlow, { classify: 'variant_1' }, out), 'utf8'),
    );
    expect(dag.nodes.map((node: { source: { path: string } }) => node.source.path)).toEqual([
      'normalize_lowercase.py',
      'classify_scored.py',
    ]);
  });

  test('an unknown node or variant is a configuration error naming the choices', async () => {
    const out = path.join(await tempDir('materialize'), 'flow');
    await expect(materializeFlowVariants(offlineFlow, { classify: 'variant_9' }, out)).rejects.toThrow(
      new ConfigurationError(
        `${path.join(offlineFlow, 'flow.dag.yaml')}: node 'classify' has no variant 'variant_9' (variants: variant_0, variant_1)`,
      ),
    );
    await expect(materializeFlowVariants(offlineFlow, { grade: 'variant_1' }, out)).rejects.toThrow(
      /node 'grade' has no variants \(nodes with variants: normalize, classify\)/,
    );
  });

  test('additional_includes that leave the flow folder are made absolute in the copy', async () => {
    const root = await tempDir('includes');
    const flowDir = path.join(root, 'flow');
    await mkdir(flowDir);
    await writeFile(
      path.join(flowDir, 'flow.dag.yaml'),
      [
        'inputs: {x: {type: string}}',
        'outputs: {y: {type: string, reference: "${n.output}"}}',
        'additional_includes: [../shared/util.py]',
        'nodes:',
        '- {name: n, use_variants: true}',
        'node_variants:',
        '  n:',
        '    default_variant_id: a',
        '    variants:',
        '      a: {node: {type: python, source: {type: code, path: a.py}, inputs: {x: "${inputs.x}"}}}',
        '      b: {node: {type: python, source: {type: code, path: b.py}, inputs: {x: "${inputs.x}"}}}',
      ].join('\n'),
    );
    const dag = parse(
      await readFile(await materializeFlowVariants(flowDir, { n: 'b' }, path.join(root, 'out')), 'utf8'),
    );
    expect(dag.additional_includes).toEqual([path.join(root, 'shared', 'util.py')]);
    expect(dag.nodes[0].source.path).toBe('b.py');
  });
});
