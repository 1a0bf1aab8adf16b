/**
 * The dry-run planner: an experiment and a variant selection in, the run matrix out. Pure: no
 * file system, no clock, so the same config always yields the same plan and the same ids.
 *
 * Evaluations follow the template's prompt_eval.py: for each evaluator, for each run, one
 * evaluation per evaluator dataset whose `name` or `reference` is the run's dataset.
 */
import path from 'node:path';
import type { Experiment } from '../config/experiment.js';
import type { DataSource, FlowKind, Plan, PlannedEvaluation, PlannedRun, ResolvedFlow, VariantSelection } from './types.js';
import { variantCombinations, type VariantCombination } from './variants.js';

export interface PlanOptions {
  /** `defaults` | `all` | `all-combinations` | `node.variant,other.variant`; default `defaults`. */
  variants?: VariantSelection;
}

export function planExperiment(experiment: Experiment, options: PlanOptions = {}): Plan {
  const combinations = variantCombinations(experiment.flow, options.variants ?? 'defaults');
  const ids = new UniqueIds();

  const runs: PlannedRun[] = [];
  for (const dataset of experiment.datasets) {
    for (const combination of combinations) {
      runs.push({
        id: ids.claim(runId(experiment, dataset.name, combination)),
        flow: experiment.flow,
        dataset: dataset.name,
        data: dataLocation(dataset.data),
        dataSource: dataset.data,
        variants: combination,
        columnMapping: { ...dataset.mappings },
      });
    }
  }

  const evaluations: PlannedEvaluation[] = [];
  for (const evaluator of experiment.evaluators) {
    for (const run of runs) {
      for (const dataset of evaluator.datasets) {
        if (dataset.name !== run.dataset && dataset.reference !== run.dataset) continue;
        evaluations.push({
          id: ids.claim(`${run.id}__${safeIdPart(evaluator.name)}__${safeIdPart(dataset.name)}`),
          evaluator: evaluator.name,
          flow: evaluator.flow,
          dataset: dataset.name,
          data: dataLocation(dataset.data),
          dataSource: dataset.data,
          run: run.id,
          columnMapping: { ...dataset.mappings },
        });
      }
    }
  }

  const plan: Plan = { experiment: experiment.name, baseDir: experiment.baseDir, runs, evaluations };
  if (experiment.env !== undefined) plan.env = experiment.env;
  return plan;
}

/**
 * `<experiment>__<dataset>` for the all-defaults run, with `__<node>-<variant>` for each node not
 * at its default: stable across selections (the defaults run has the same id whether planned
 * with `defaults` or `all`), and limited to letters, digits, `_` and `-` so that it is usable as
 * a promptflow run name and a folder name.
 */
function runId(experiment: Experiment, dataset: string, combination: VariantCombination): string {
  const parts = [safeIdPart(experiment.name), safeIdPart(dataset)];
  for (const [node, variant] of Object.entries(combination)) {
    if (experiment.flow.nodeVariants[node]?.defaultVariant !== variant) parts.push(`${safeIdPart(node)}-${safeIdPart(variant)}`);
  }
  return parts.join('__');
}

function safeIdPart(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Names that differ only in characters replaced by safeIdPart would collide; number the repeats. */
class UniqueIds {
  private readonly taken = new Set<string>();
  claim(id: string): string {
    let candidate = id;
    for (let repeat = 2; this.taken.has(candidate); repeat++) candidate = `${id}-${repeat}`;
    this.taken.add(candidate);
    return candidate;
  }
}

function dataLocation(source: DataSource): string {
  return source.kind === 'local' ? source.path : source.uri;
}

/** The plan as users and the runs manifest see it: snake_case keys, paths relative to baseDir. */
export interface PlanJson {
  experiment: string;
  env: string | null;
  runs: PlannedRunJson[];
  evaluations: PlannedEvaluationJson[];
}

export interface PlannedRunJson {
  id: string;
  flow: string;
  flow_kind: FlowKind;
  dataset: string;
  /** Relative path of a local file, or the remote URI as written. */
  data: string;
  variants: Record<string, string>;
  column_mapping: Record<string, string>;
}

export interface PlannedEvaluationJson {
  id: string;
  evaluator: string;
  flow: string;
  flow_kind: FlowKind;
  dataset: string;
  data: string;
  run: string;
  column_mapping: Record<string, string>;
}

export function planToJson(plan: Plan, baseDir: string): PlanJson {
  const relative = (target: string) => toPosix(path.relative(path.resolve(baseDir), target)) || '.';
  const data = (source: DataSource) => (source.kind === 'local' ? relative(source.path) : source.uri);
  // A builtin evaluator has no folder yet (the evaluate stage writes it): shown as `builtin:<name>`.
  const flowPath = (flow: ResolvedFlow) => (flow.builtin ? flow.path : relative(flow.path));
  return {
    experiment: plan.experiment,
    env: plan.env ?? null,
    runs: plan.runs.map((run) => ({
      id: run.id,
      flow: flowPath(run.flow),
      flow_kind: run.flow.kind,
      dataset: run.dataset,
      data: data(run.dataSource),
      variants: { ...run.variants },
      column_mapping: { ...run.columnMapping },
    })),
    evaluations: plan.evaluations.map((evaluation) => ({
      id: evaluation.id,
      evaluator: evaluation.evaluator,
      flow: flowPath(evaluation.flow),
      flow_kind: evaluation.flow.kind,
      dataset: evaluation.dataset,
      data: data(evaluation.dataSource),
      run: evaluation.run,
      column_mapping: { ...evaluation.columnMapping },
    })),
  };
}

function toPosix(relativePath: string): string {
  return relativePath.split(path.sep).join('/');
}
