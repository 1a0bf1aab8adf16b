import path from 'node:path';
import { loadExperiment } from '../config/index.js';
import { NotAvailableError } from '../errors.js';
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
    const variants = Object.entries(run.variants).map(([node, variant]) => `${node}=${variant}`).join(' ');
    log.info(`  run ${run.id}: dataset ${run.dataset}${variants ? `, ${variants}` : ''}`);
  }
  for (const evaluation of planned.evaluations) {
    log.info(`  evaluation ${evaluation.id}: ${evaluation.evaluator} on dataset ${evaluation.dataset} of run ${evaluation.run}`);
  }

  if (inputs['dry-run']) {
    return { runs: planned.runs, evaluations: planned.evaluations };
  }
  throw new NotAvailableError(
    'llmops experiment can only plan so far (--dry-run); executing runs with promptflow is not available yet',
  );
}
