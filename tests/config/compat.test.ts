/**
 * The configs of microsoft/genaiops-promptflow-template must work unchanged: every experiment
 * file loads (alone and with each of its overlays), and every use case plans in every variant
 * mode. The corpus is a read-only copy outside the repo (../shared/compat/...), or wherever
 * LLMOPS_COMPAT_DIR points.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDeploymentConfig, loadEnvFile, loadExperiment, type Experiment } from '../../packages/core/src/config/index.js';
import { resolveFlow } from '../../packages/core/src/flow/index.js';
import { planExperiment, planToJson } from '../../packages/core/src/plan/index.js';
import { repoRoot, userErrorOf } from './helpers.js';

const compatDir = process.env.LLMOPS_COMPAT_DIR
  ? path.resolve(process.env.LLMOPS_COMPAT_DIR)
  : path.resolve(repoRoot, '../shared/compat/genaiops-promptflow-template');
const corpusPresent = existsSync(compatDir);

if (!corpusPresent && process.env.CI) {
  // In CI a missing prerequisite is a failure, not a silent skip.
  describe('genaiops-promptflow-template corpus', () => {
    it('is present', () => {
      throw new Error(`compat corpus not found at ${compatDir}; check it out there or set LLMOPS_COMPAT_DIR`);
    });
  });
} else if (!corpusPresent) {
  console.warn(`[compat] skipping template compatibility tests: no corpus at ${compatDir} (set LLMOPS_COMPAT_DIR)`);
}

interface ExperimentFile {
  useCase: string;
  file: string;
  /** Environments with an `<stem>.<env>.yaml` overlay next to it. */
  overlayEnvs: string[];
}

/** experiment.yaml and experiment-postprod.yaml are experiments; experiment.pr.yaml is an overlay of the first. */
function experimentFiles(): ExperimentFile[] {
  if (!corpusPresent) return [];
  const found: ExperimentFile[] = [];
  for (const useCase of readdirSync(compatDir).sort()) {
    const folder = path.join(compatDir, useCase);
    if (!statSync(folder).isDirectory()) continue;
    const yamlFiles = readdirSync(folder).filter((name) => /^experiment.*\.ya?ml$/.test(name));
    for (const name of yamlFiles) {
      const stem = name.replace(/\.ya?ml$/, '');
      if (stem.includes('.')) continue;
      const overlayEnvs = yamlFiles
        .filter((other) => other.startsWith(`${stem}.`) && other !== name)
        .map((other) => other.slice(stem.length + 1).replace(/\.ya?ml$/, ''))
        .sort();
      found.push({ useCase, file: path.join(folder, name), overlayEnvs });
    }
  }
  return found;
}

/**
 * Known defects of the corpus itself, and the one line we answer them with. class_flows names
 * an evaluator flow folder (flows/eval_nlp) that the template does not ship; the template only
 * notices when the evaluation runs, after the experiment's compute is spent.
 */
const expectedLoadErrors: Record<string, (file: string) => string> = {
  'class_flows/experiment.yaml': (file) =>
    `${file}:33:9: evaluators[1].flow: not found: ${path.join(compatDir, 'class_flows/flows/eval_nlp')}`,
};

const variantModes = ['defaults', 'all', 'all-combinations'] as const;

describe.skipIf(!corpusPresent)('genaiops-promptflow-template configs', () => {
  const files = experimentFiles();

  it('finds the use cases', () => {
    expect(files.map((entry) => `${entry.useCase}/${path.basename(entry.file)}`)).toEqual(
      expect.arrayContaining([
        'chat_with_pdf/experiment.yaml',
        'class_flows/experiment.yaml',
        'function_flows/experiment.yaml',
        'math_coding/experiment.yaml',
        'named_entity_recognition/experiment-postprod.yaml',
        'named_entity_recognition/experiment.yaml',
        'web_classification/experiment.yaml',
      ]),
    );
  });

  const loadCases = files.flatMap((entry) =>
    [undefined, ...entry.overlayEnvs].map((env) => ({
      ...entry,
      env,
      label: `${entry.useCase}/${path.basename(entry.file)}${env ? ` + ${env}` : ''}`,
    })),
  );

  it.each(loadCases)('$label: loads and plans in every variant mode, or gives its known one-line error', async ({ useCase, file, env }) => {
    const expectedError = expectedLoadErrors[`${useCase}/${path.basename(file)}`];
    if (expectedError) {
      expect(await userErrorOf(loadExperiment(file, { env, environ: {} }))).toBe(expectedError(file));
      return;
    }
    const experiment = await loadExperiment(file, { env, environ: {} });
    for (const variants of variantModes) {
      const plan = planExperiment(experiment, { variants });
      const combinations = countCombinations(experiment, variants);
      expect(plan.runs).toHaveLength(experiment.datasets.length * combinations);
      const json = planToJson(plan, experiment.baseDir);
      for (const run of json.runs) expect(path.isAbsolute(run.flow)).toBe(false);
      expect(new Set([...plan.runs, ...plan.evaluations].map((item) => item.id)).size).toBe(plan.runs.length + plan.evaluations.length);
    }
  });

  it('plans web_classification exactly', async () => {
    const experiment = await loadExperiment(path.join(compatDir, 'web_classification/experiment.yaml'), { environ: {} });
    const ids = (variants: string) => planExperiment(experiment, { variants }).runs.map((run) => run.id);
    expect(ids('defaults')).toEqual(['web_classification__web_classification_train', 'web_classification__web_classification_train_new']);
    const everyVariant = [
      'web_classification__web_classification_train',
      'web_classification__web_classification_train__summarize_text_content-variant_1',
      'web_classification__web_classification_train_new',
      'web_classification__web_classification_train_new__summarize_text_content-variant_1',
    ];
    expect(ids('all')).toEqual(everyVariant);
    expect(ids('all-combinations')).toEqual(everyVariant);
    const evaluations = planExperiment(experiment, { variants: 'all' }).evaluations.map((evaluation) => [evaluation.evaluator, evaluation.run]);
    expect(evaluations).toEqual([
      ['web_classification_flow', everyVariant[0]],
      ['web_classification_flow', everyVariant[1]],
      ['web_classification_flow_adv', everyVariant[2]],
      ['web_classification_flow_adv', everyVariant[3]],
    ]);
  });

  it('detects the kind of every flow in the corpus', async () => {
    const kinds: Record<string, string> = {};
    for (const useCase of readdirSync(compatDir)) {
      const flowsDir = path.join(compatDir, useCase, 'flows');
      if (!existsSync(flowsDir)) continue;
      for (const name of readdirSync(flowsDir)) {
        const flow = await resolveFlow(path.join(flowsDir, name));
        kinds[`${useCase}/${name}`] = flow.kindEvidence ? `${flow.kind} (${flow.kindEvidence})` : flow.kind;
      }
    }
    expect(kinds).toMatchObject({
      'web_classification/experiment': 'dag',
      // The corpus holds no Python sources, so flex kinds come from init.json or naming.
      'class_flows/chat_basic': 'flex-class (init-config)',
      'class_flows/eval_checklist': 'flex-class (init-config)',
      'function_flows/basic': 'flex-function (naming)',
      'function_flows/eval-code-quality': 'flex-class (init-config)',
    });
  });

  it('loads every deployment_config.json and env.yaml', async () => {
    const environ = { AZURE_OPENAI_API_KEY: 'key', AZURE_OPENAI_ENDPOINT: 'https://example.openai.azure.com/' };
    for (const useCase of readdirSync(compatDir)) {
      const deploymentConfig = path.join(compatDir, useCase, 'configs/deployment_config.json');
      if (existsSync(deploymentConfig)) {
        const dev = await loadDeploymentConfig(deploymentConfig, 'dev');
        expect(dev.azureManagedEndpoints.length + dev.kubernetesEndpoints.length + dev.webappEndpoints.length).toBeGreaterThan(0);
      }
      const envFile = path.join(compatDir, useCase, 'environment/env.yaml');
      const { variables } = await loadEnvFile(envFile, { optional: true, environ });
      for (const value of Object.values(variables)) expect(value).not.toMatch(/\$\{/);
    }
  });
});

function countCombinations(experiment: Experiment, mode: (typeof variantModes)[number]): number {
  const nodes = Object.values(experiment.flow.nodeVariants);
  if (mode === 'defaults' || nodes.length === 0) return 1;
  if (mode === 'all-combinations') return nodes.reduce((product, node) => product * node.variants.length, 1);
  return 1 + nodes.reduce((sum, node) => sum + node.variants.length - 1, 0);
}
