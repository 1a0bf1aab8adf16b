/**
 * The run matrix an experiment resolves to. The dry run prints it; the executor runs it; the
 * runs manifest records it. Paths are absolute here; JSON for users makes them relative to the
 * experiment.yaml folder.
 */
export type FlowKind = 'dag' | 'flex-function' | 'flex-class' | 'prompty';

export interface NodeVariants {
  defaultVariant: string;
  /** Variant ids in the order flow.dag.yaml declares them. */
  variants: string[];
}

export interface ResolvedFlow {
  /** The flow folder, or the .prompty file. */
  path: string;
  kind: FlowKind;
  /** flow.dag.yaml / flow.flex.yaml / the .prompty file itself. */
  definitionFile: string;
  /** flex: `module:function` or `module:Class`. */
  entry?: string;
  /** DAG flows: nodes that have variants; empty for other kinds. */
  nodeVariants: Record<string, NodeVariants>;
  /** flex class flows: init values (from init.json), secrets not yet filled in. */
  init?: Record<string, unknown>;
}

export type VariantSelection = 'defaults' | 'all' | 'all-combinations' | string;

export interface PlannedRun {
  /** Unique in the plan; stable across plans of the same config (no timestamps). */
  id: string;
  flow: ResolvedFlow;
  dataset: string;
  data: string;
  /** The variant of EVERY node that has variants. */
  variants: Record<string, string>;
  /** promptflow column mapping: input -> ${data.col} */
  columnMapping: Record<string, string>;
}

export interface PlannedEvaluation {
  id: string;
  evaluator: string;
  flow: ResolvedFlow;
  /** The evaluator dataset's name and data file. */
  dataset: string;
  data: string;
  /** PlannedRun.id of the experiment run this evaluates. */
  run: string;
  /** input -> ${data.col} | ${run.outputs.x} | ${target.output} */
  columnMapping: Record<string, string>;
}

export interface Plan {
  experiment: string;
  env?: string;
  runs: PlannedRun[];
  evaluations: PlannedEvaluation[];
}
