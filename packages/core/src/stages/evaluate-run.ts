import fs from 'node:fs/promises';
import path from 'node:path';
import { loadExperiment, type Experiment } from '../config/index.js';
import { ConfigurationError, StageFailure } from '../errors.js';
import {
  METRICS_SCHEMA,
  evaluateGates,
  gateFailure,
  metricsCsvFiles,
  parseGateList,
  parseGatesInput,
  readMetricsDocument,
  renderHtmlReport,
  renderMarkdownSummary,
  type EvaluationReport,
  type FailedLine,
  type MetricsDocument,
  type MetricsRow,
  type RunSummary,
} from '../evaluate/index.js';
import { materializeBuiltinFlow } from '../evaluate/builtin/index.js';
import type { FlowRunRequest, FlowRunResult } from '../executor/types.js';
import { runProblems } from '../experiment/execute-plan.js';
import { readRunsManifest, type RunRecord, type RunsManifest } from '../experiment/manifest.js';
import { createGitHubPullRequestComments, planPullRequestComment, pullRequestFromEnv, upsertPullRequestComment } from '../github/index.js';
import type { Host } from '../host.js';
import { planExperiment } from '../plan/index.js';
import type { PlannedEvaluation, ResolvedFlow } from '../plan/types.js';
import type { OutputValues, StageContext } from '../spec.js';
import type { evaluateInputs, evaluateOutputs } from './evaluate.js';
import { runLocally } from './local-promptflow.js';

export const METRICS_FILE = 'metrics.json';
export const REPORT_FILE = 'report.html';
const REPORTS_DIR = 'reports';
/** Under the output dir: the flows of builtin evaluators, one folder per evaluator. */
const BUILTIN_FLOWS_DIR = 'builtin-evaluators';
const COMMENT_MARKER = 'evaluate';

export async function runEvaluate(ctx: StageContext<typeof evaluateInputs>): Promise<OutputValues<typeof evaluateOutputs>> {
  const { inputs, host, log } = ctx;
  const configPath = path.resolve(host.workingDirectory, inputs.config);
  const experiment = await loadExperiment(configPath, { env: inputs.env, environ: host.env });
  const manifest = await readRunsManifest(path.resolve(host.workingDirectory, inputs.runs));
  // Gates and baseline are checked before any evaluation runs: a typo fails in a second.
  const gates = [
    ...parseGateList(experiment.gates.map((gate) => ({ text: gate.expression, location: gate.location }))),
    ...(inputs.gates ? parseGatesInput(inputs.gates) : []),
  ];
  const baseline = inputs.baseline ? await readMetricsDocument(path.resolve(host.workingDirectory, inputs.baseline)) : undefined;
  const outputDir = path.resolve(host.workingDirectory, inputs['output-dir']);
  const evaluations = await withBuiltinFlows(plannedEvaluations(experiment, manifest), path.join(outputDir, BUILTIN_FLOWS_DIR));
  const runsById = new Map(manifest.runs.map((run) => [run.id, run]));
  log.info(`${evaluations.length} evaluation run(s) over ${manifest.runs.length} run(s) of experiment '${manifest.experiment}'`);

  let results: FlowRunResult[] = [];
  // Evaluation runs join the experiment's home, where an earlier evaluate may have left runs of
  // the same evaluations: each invocation names its runs apart.
  const invocation = Date.now().toString(36);
  if (evaluations.length > 0) {
    ({ results } = await runLocally(
      experiment,
      host,
      {
        outputDir,
        home: manifest.executor.home,
        python: inputs.python,
        lineConcurrency: inputs['line-concurrency'],
        maxParallelRuns: inputs['max-parallel-runs'],
      },
      evaluations.map((evaluation) => evaluationRequest(evaluation, runsById.get(evaluation.run)!, invocation)),
    ));
  }

  const metrics: MetricsDocument = {
    schema: METRICS_SCHEMA,
    experiment: manifest.experiment,
    env: manifest.env,
    rows: evaluations.map((evaluation, index) => metricsRow(evaluation, runsById.get(evaluation.run)!, results[index]!)),
  };
  const gateResults = gates.length > 0 ? evaluateGates(gates, metrics, baseline) : undefined;
  const report: EvaluationReport = {
    metrics,
    baseline,
    gates: gateResults,
    runs: manifest.runs.map(runSummary),
    failedLines: failedLines(results),
  };
  const written = await writeReports(outputDir, report);
  const summary = renderMarkdownSummary(report, { fullReportHint: `the HTML report (${written.report})` });
  await host.appendSummary(summary);
  await commentOnPullRequest(host, inputs['github-token'], summary);
  log.info(`metrics: ${written.metrics}`);
  log.info(`report: ${written.report}`);

  const problems = runProblems(results, 0);
  if (problems.length > 0) {
    throw new StageFailure(problems.length === 1 ? `evaluation ${problems[0]}` : `${problems.length} evaluation runs failed: ${problems.join(' | ')}`);
  }
  const failure = gateResults && gateFailure(gateResults);
  // The summary above already holds the gate table: fail with the headline alone.
  if (failure) throw new StageFailure(failure.message);
  return { metrics: written.metrics, report: written.report };
}

/**
 * The evaluations of the runs the experiment stage made: planned again from the config with the
 * same variant selection, so evaluator datasets match runs exactly as the dry run showed.
 */
function plannedEvaluations(experiment: Experiment, manifest: RunsManifest): PlannedEvaluation[] {
  const plan = planExperiment(experiment, { variants: manifest.variantSelection });
  const recorded = new Set(manifest.runs.map((run) => run.id));
  const missing = plan.runs.filter((run) => !recorded.has(run.id));
  if (missing.length > 0) {
    throw new ConfigurationError(
      `the runs manifest does not match ${experiment.configFile}: run ${missing[0]!.id} is planned but was not run; run the experiment stage again`,
    );
  }
  return plan.evaluations;
}

/**
 * The evaluations with each builtin evaluator's flow written under `dir` (once per evaluator,
 * however many runs it evaluates), so that from here on every evaluator is a flow on disk.
 */
async function withBuiltinFlows(evaluations: PlannedEvaluation[], dir: string): Promise<PlannedEvaluation[]> {
  const flows = new Map<string, Promise<ResolvedFlow>>();
  const folders = new Set<string>();
  const flowOf = (evaluation: PlannedEvaluation): Promise<ResolvedFlow> => {
    let flow = flows.get(evaluation.evaluator);
    if (!flow) {
      // Evaluator names are free text; their folders are not, and two names must not share one.
      const base = evaluation.evaluator.replace(/[^A-Za-z0-9_-]/g, '_');
      let folder = base;
      for (let repeat = 2; folders.has(folder); repeat++) folder = `${base}-${repeat}`;
      folders.add(folder);
      flow = materializeBuiltinFlow(evaluation.flow, path.join(dir, folder));
      flows.set(evaluation.evaluator, flow);
    }
    return flow;
  };
  return Promise.all(
    evaluations.map(async (evaluation) =>
      evaluation.flow.builtin ? { ...evaluation, flow: await flowOf(evaluation) } : evaluation,
    ),
  );
}

/** `${target.output}` is the template's name for what promptflow calls the run's `output`. */
function evaluationMapping(mapping: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(mapping).map(([input, source]) => [input, source.replace(/\$\{target\./g, '${run.outputs.')]));
}

function evaluationRequest(evaluation: PlannedEvaluation, run: RunRecord, invocation: string): FlowRunRequest {
  return {
    name: `${evaluation.id}__${invocation}`,
    flow: evaluation.flow,
    data: evaluation.data,
    variants: {},
    columnMapping: evaluationMapping(evaluation.columnMapping),
    baseRun: run.name,
  };
}

function metricsRow(evaluation: PlannedEvaluation, run: RunRecord, result: FlowRunResult): MetricsRow {
  return {
    evaluator: evaluation.evaluator,
    dataset: run.dataset,
    evaluationDataset: evaluation.dataset,
    run: run.name,
    variants: run.variants,
    metrics: result.metrics,
  };
}

function runSummary(run: RunRecord): RunSummary {
  return {
    name: run.name,
    dataset: run.dataset,
    variants: run.variants,
    status: run.status,
    lines: run.lines,
    tokens: run.tokens,
    durationMs: run.durationMs,
    firstError: run.firstError,
  };
}

function failedLines(results: FlowRunResult[]): FailedLine[] {
  return results.flatMap((result) => result.failedLines.map((line) => ({ run: result.name, ...line })));
}

/** metrics.json, the HTML report and the CSV files, each under its own name: none overwrites another. */
async function writeReports(outputDir: string, report: EvaluationReport): Promise<{ metrics: string; report: string }> {
  const reportsDir = path.join(outputDir, REPORTS_DIR);
  await fs.mkdir(reportsDir, { recursive: true });
  const metricsFile = path.join(outputDir, METRICS_FILE);
  const reportFile = path.join(outputDir, REPORT_FILE);
  await Promise.all([
    fs.writeFile(metricsFile, `${JSON.stringify(report.metrics, null, 2)}\n`),
    fs.writeFile(reportFile, renderHtmlReport(report)),
    ...metricsCsvFiles(report.metrics).map((csv) => fs.writeFile(path.join(reportsDir, csv.name), csv.content)),
  ]);
  return { metrics: metricsFile, report: reportFile };
}

/** One PR comment, updated in place on every push. Optional: a problem is a warning, never a failure. */
async function commentOnPullRequest(host: Host, token: string | undefined, body: string): Promise<void> {
  const decision = planPullRequestComment(token, await pullRequestFromEnv(host.env));
  if (decision.action === 'skip') {
    host.log.info(`no pull request comment: ${decision.reason}`);
    return;
  }
  try {
    const comments = createGitHubPullRequestComments({
      token: decision.token,
      apiUrl: decision.pullRequest.apiUrl,
      repository: decision.pullRequest.repository,
      pullNumber: decision.pullRequest.pullNumber,
      signal: host.signal,
    });
    const { action, id } = await upsertPullRequestComment(comments, COMMENT_MARKER, body);
    host.log.info(`pull request comment ${id} ${action}`);
  } catch (error) {
    host.log.warning(`could not comment on the pull request: ${(error as Error).message}`);
  }
}

