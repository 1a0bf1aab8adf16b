import path from 'node:path';
import { loadExperiment, type Experiment } from '../config/index.js';
import { StageFailure } from '../errors.js';
import type { FlowRunResult } from '../executor/types.js';
import { runProblems } from '../experiment/execute-plan.js';
import { RUNS_MANIFEST_SCHEMA, writeRunsManifest, type RunsManifest } from '../experiment/manifest.js';
import type { Logger } from '../host.js';
import { code, markdownTable } from '../markdown.js';
import { planExperiment, planToJson } from '../plan/index.js';
import type { Plan } from '../plan/types.js';
import type { OutputValues, StageContext } from '../spec.js';
import type { experimentInputs, experimentOutputs } from './experiment.js';

export const RUNS_MANIFEST_FILE = 'runs.json';

export async function runExperiment(
  ctx: StageContext<typeof experimentInputs>,
): Promise<OutputValues<typeof experimentOutputs>> {
  const { inputs, host, log } = ctx;
  const configPath = path.resolve(host.workingDirectory, inputs.config);
  const experiment = await loadExperiment(configPath, { env: inputs.env, environ: host.env });
  logWarnings(experiment, log);
  const plan = planExperiment(experiment, { variants: inputs.variants });
  const planned = planToJson(plan, experiment.baseDir);

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

  const outputDir = path.resolve(host.workingDirectory, inputs['output-dir']);
  // Loaded here, not at the top: a dry run (a plan on every pull request) should not pay for
  // compiling the promptflow executor and loading child_process and crypto.
  const { runLocally } = await import('./local-promptflow.js');
  const { results, home } = await runLocally(
    experiment,
    host,
    {
      outputDir,
      python: inputs.python,
      lineConcurrency: inputs['line-concurrency'],
      maxParallelRuns: inputs['max-parallel-runs'],
    },
    plan.runs.map((run) => ({
      name: run.id,
      flow: run.flow,
      data: run.data,
      variants: run.variants,
      columnMapping: run.columnMapping,
    })),
  );

  const manifestPath = path.join(outputDir, RUNS_MANIFEST_FILE);
  await writeRunsManifest(manifestPath, runsManifest(plan, experiment, inputs.variants, results, home));
  await host.appendSummary(runsSummary(plan, results, inputs.env));
  log.info(`runs manifest: ${manifestPath}`);

  const problems = runProblems(results, inputs['max-failed-line-ratio']);
  if (problems.length > 0) {
    const headline = problems.length === 1 ? problems[0]! : `${problems.length} runs failed: ${problems.join(' | ')}`;
    throw new StageFailure(headline);
  }
  return { runs: manifestPath };
}

function logWarnings(experiment: Experiment, log: Logger): void {
  for (const warning of experiment.warnings) log.warning(warning.message, warning.location);
}

function runsManifest(
  plan: Plan,
  experiment: Experiment,
  variantSelection: string,
  results: FlowRunResult[],
  home: string,
): RunsManifest {
  const relative = (file: string) => path.relative(experiment.baseDir, file).split(path.sep).join('/');
  return {
    schema: RUNS_MANIFEST_SCHEMA,
    experiment: plan.experiment,
    env: plan.env,
    config: experiment.configFile,
    variantSelection,
    executor: { kind: 'local-promptflow', home },
    runs: plan.runs.map((run, index) => {
      const result = results[index]!;
      return {
        id: run.id,
        name: result.name,
        flow: relative(run.flow.path),
        dataset: run.dataset,
        data: run.data,
        variants: run.variants,
        status: result.status,
        lines: result.lines,
        tokens: result.tokens,
        durationMs: result.durationMs,
        outputsPath: result.outputsPath,
        firstError: result.firstError,
        resumedFrom: result.resumedFrom,
      };
    }),
  };
}

type PlannedJson = ReturnType<typeof planToJson>;

function variantList(variants: Record<string, string>): string {
  return Object.entries(variants)
    .map(([node, variant]) => `${node}=${variant}`)
    .join(', ');
}

function summaryTitle(experiment: string, env: string | undefined, what: string): string {
  return `### llmops experiment: ${what} ${code(experiment)}${env ? ` (env ${code(env)})` : ''}`;
}

function planSummary(planned: PlannedJson, env: string | undefined): string {
  const runs = markdownTable(
    ['run', 'dataset', 'variants'],
    planned.runs.map((run) => [code(run.id), run.dataset, variantList(run.variants) || '(no variants)']),
  );
  const evaluations = markdownTable(
    ['evaluation', 'evaluator', 'dataset', 'run'],
    planned.evaluations.map((evaluation) => [code(evaluation.id), evaluation.evaluator, evaluation.dataset, code(evaluation.run)]),
  );
  return `${summaryTitle(planned.experiment, env, 'plan for')}\n\n${runs}\n\n${planned.evaluations.length ? evaluations : 'No evaluations planned.'}\n`;
}

function runsSummary(plan: Plan, results: FlowRunResult[], env: string | undefined): string {
  const rows = plan.runs.map((run, index) => {
    const result = results[index]!;
    return [
      code(result.name),
      run.dataset,
      variantList(run.variants) || '(no variants)',
      result.status,
      `${result.lines.completed}/${result.lines.total}`,
      String(result.lines.failed),
      String(result.tokens.total),
      `${(result.durationMs / 1000).toFixed(1)} s`,
    ];
  });
  const table = markdownTable(['run', 'dataset', 'variants', 'status', 'lines ok', 'failed', 'tokens', 'duration'], rows);
  return `${summaryTitle(plan.experiment, env, 'runs of')}\n\n${table}\n`;
}
