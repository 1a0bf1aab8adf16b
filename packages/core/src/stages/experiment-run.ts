import path from 'node:path';
import { loadExperiment } from '../config/index.js';
import { NotAvailableError } from '../errors.js';
import { code, markdownTable } from '../markdown.js';
import { planExperiment, planToJson } from '../plan/index.js';
import type { OutputValues, StageContext } from '../spec.js';
import type { experimentInputs, experimentOutputs } from './experiment.js';

export async function runExperiment(ctx: StageContext<typeof experimentInputs>,
): Promise<OutputValues<typeof experimentOutputs>> {
  const { inputs, host, log } = ctx;
  const configPath = path.resolve(host.workingDirectory, inputs.config);
  const loaded = await loadExperiment(configPath, { env: inputs.env, environ: host.env });
  const plan = planExperiment(loaded, { variants: inputs.variants });
  const planned = planToJson(plan, path.dirname(configPath));

  log.info(
    `${planned.runs.length} run(s) and ${planned.evaluations.length} evaluation(s) planned for experiment '${plan.experiment}'` +
      (inputs.env ? ` (env ${inputs.env})` : ''),
  );
  for (const run of planned.runs) {
    const variants = variantList(run.variants);
    log.info(`  run ${run.id}: dataset ${run.dataset}${variants ? `, ${variants}` : ''}`);
  }
  for (const evaluation of planned.evaluations) {
    log.info(`  evaluation ${evaluation.id}: ${evaluation.evaluator} on dataset ${evaluation.dataset} of run ${evaluation.run}`);
  }

  if (inputs['dry-run']) {
    await host.appendSummary(planSummary(planned, inputs.env));
    return { runs: planned.runs, evaluations: planned.evaluations };
  }
  throw new NotAvailableError(
    'llmops experiment can only plan so far (--dry-run); executing runs with promptflow is not available yet',
  );
}

type PlannedJson = ReturnType<typeof planToJson>;

function variantList(variants: Record<string, string>): string {
  return Object.entries(variants)
    .map(([node, variant]) => `${node}=${variant}`)
    .join(', ');
}

function planSummary(planned: PlannedJson, env: string | undefined): string {
  const title = `### llmops experiment: plan for ${code(planned.experiment)}${env ? ` (env ${code(env)})` : ''}`;
  const runs = markdownTable(
    ['run', 'dataset', 'variants'],
    planned.runs.map((run) => [code(run.id), run.dataset, variantList(run.variants) || '(no variants)']),
  );
  const evaluations = markdownTable(
    ['evaluation', 'evaluator', 'dataset', 'run'],
    planned.evaluations.map((evaluation) => [code(evaluation.id), evaluation.evaluator, evaluation.dataset, code(evaluation.run)]),
  );
  return `${title}

${runs}

${planned.evaluations.length ? evaluations : 'No evaluations planned.'}
`;
}
