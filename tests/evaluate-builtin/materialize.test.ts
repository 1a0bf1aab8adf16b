/**
 * The flow the evaluate stage writes for a builtin evaluator: what is on disk, that promptflow's
 * own rules (our resolveFlow) read it as the flow the plan promised, and how `__aggregate__`
 * turns azure-ai-evaluation's per-line results into metrics.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_EVALUATORS,
  builtinFlowPlaceholder,
  materializeBuiltinFlow,
  renderBuiltinModule,
} from '../../packages/core/src/evaluate/builtin/index.js';
import { resolveFlow } from '../../packages/core/src/flow/index.js';
import { describeWithPromptflow, tempDir, venvPython } from '../promptflow/support.js';
import { builtinDir } from './support.js';

describe('materializeBuiltinFlow', () => {
  it('writes flow.flex.yaml, the module and init.json, and points the flow at them', async () => {
    const dir = path.join(await tempDir('builtin-flow'), 'rouge');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'stale.py'), '# from an older run');

    const flow = await materializeBuiltinFlow(builtinFlowPlaceholder({ name: 'rouge', init: { rouge_type: 'rouge2' } }), dir);

    expect((await fs.readdir(dir)).sort()).toEqual(['flow.flex.yaml', 'init.json', 'llmops_builtin_evaluator.py']);
    expect(flow).toMatchObject({
      path: dir,
      definitionFile: path.join(dir, 'flow.flex.yaml'),
      kind: 'flex-class',
      entry: 'llmops_builtin_evaluator:BuiltinEvaluator',
      init: { rouge_type: 'rouge2' },
      initFile: path.join(dir, 'init.json'),
      builtin: { name: 'rouge', init: { rouge_type: 'rouge2' } },
    });
    // Read back with promptflow's detection rules: the same kind and entry the dry run planned.
    const detected = await resolveFlow(dir);
    expect(detected).toMatchObject({ kind: flow.kind, entry: flow.entry, init: { rouge_type: 'rouge2' } });
  });

  it('passes no init when the config gave none (the SDK defaults apply)', async () => {
    const dir = path.join(await tempDir('builtin-flow'), 'f1');
    const flow = await materializeBuiltinFlow(builtinFlowPlaceholder({ name: 'f1_score', init: {} }), dir);
    expect(flow.init).toBeUndefined();
    expect((await fs.readdir(dir)).sort()).toEqual(['flow.flex.yaml', 'llmops_builtin_evaluator.py']);
  });

  it('returns any other flow as it is', async () => {
    const flow = await resolveFlow(path.join(builtinDir, 'flows/answer'));
    expect(await materializeBuiltinFlow(flow, '/nonexistent')).toBe(flow);
  });

  it('calls the evaluator with its own keywords', () => {
    const module = renderBuiltinModule(BUILTIN_EVALUATORS.find((evaluator) => evaluator.name === 'f1_score')!);
    expect(module).toContain('from azure.ai.evaluation import F1ScoreEvaluator as _Evaluator');
    expect(module).toContain('def __call__(self, response: str, ground_truth: str):');
    expect(module).toContain('return self._evaluator(response=response, ground_truth=ground_truth)');
  });
});

const run = promisify(execFile);

describeWithPromptflow('the generated module with azure-ai-evaluation', () => {
  /** Import the module generated for `name` in the venv and run `code` with it as `m`; stdout parsed as JSON. */
  async function withModule(name: string, code: string): Promise<unknown> {
    const dir = await tempDir('builtin-module');
    await materializeBuiltinFlow(builtinFlowPlaceholder({ name, init: {} }), dir);
    const script = `import json, sys\nsys.path.insert(0, ${JSON.stringify(dir)})\nimport llmops_builtin_evaluator as m\n${code}`;
    const { stdout } = await run(venvPython, ['-c', script], { timeout: 120_000 });
    return JSON.parse(stdout);
  }

  it('imports for every builtin in the catalog (class names and signatures match the installed SDK)', async () => {
    for (const evaluator of BUILTIN_EVALUATORS) {
      const init = evaluator.name === 'rouge' ? '{"rouge_type": "rouge1"}' : '{}';
      const result = await withModule(
        evaluator.name,
        `e = m.BuiltinEvaluator(**json.loads('${init}'))\nprint(json.dumps(sorted(m.aggregate([e(response="a b c", ground_truth="a b d")]))))`,
      );
      expect(result, evaluator.name).toContain(evaluator.name);
    }
  });

  it('aggregates means of numbers, pass rates of booleans, and leaves out thresholds, text, duplicates and NaN', async () => {
    const lines = [
      { x: 1.0, x_score: 1.0, x_passed: true, x_result: 'pass', x_threshold: 0.5, x_properties: { x_precision: 0.5, x_precision_passed: true } },
      { x: 0.0, x_score: 0.0, x_passed: false, x_result: 'fail', x_threshold: 0.5, x_properties: { x_precision: 'NaN' } },
      { x: 'NaN', x_passed: false },
    ];
    const result = await withModule(
      'f1_score',
      // json.loads turns the string 'NaN' into a float only via parse_constant; do it by hand.
      `lines = json.loads(${JSON.stringify(JSON.stringify(lines))})\n` +
        `fix = lambda v: float('nan') if v == 'NaN' else (dict((k, fix(i)) for k, i in v.items()) if isinstance(v, dict) else v)\n` +
        `print(json.dumps(m.aggregate([fix(line) for line in lines] + ['not a dict'])))`,
    );
    expect(result).toEqual({ x: 0.5, x_pass_rate: 1 / 3, x_precision: 0.5 });
  });
});
