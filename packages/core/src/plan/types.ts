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
  /** flex class flows: the init.json the init values came from, when there is one. */
  initFile?: string;
  /**
   * flex flows: how function vs class was decided without importing Python. `python-source`:
   * the entry module defines `class Name` / `def Name` at top level; `init-config`: the module
   * is not there but the flow declares init values (only classes take them); `naming`: neither,
   * so PEP 8 naming decided (CapWords is a class).
   */
  kindEvidence?: 'python-source' | 'init-config' | 'naming';
  /**
   * Builtin evaluators (`builtin:` in experiment.yaml): a flex class flow that no one wrote. The
   * config names it and the plan carries it like any flow, but it has no folder until the
   * evaluate stage writes one under its output dir (evaluate/builtin) and runs that; until then
   * `path` and `definitionFile` are `builtin:<name>`, not files.
   */
  builtin?: BuiltinFlowSpec;
}

export interface BuiltinFlowSpec {
  /** The catalog name (evaluate/builtin/catalog.ts), also when the config wrote the class name. */
  name: string;
  /** Constructor arguments from `init:`, checked against the catalog. */
  init: Record<string, string | number>;
}

/** A run's data: a local file (absolute path) or a remote asset kept as written (azureml:name:version). */
export type DataSource = { kind: 'local'; path: string } | { kind: 'remote'; uri: string };

export type VariantSelection = 'defaults' | 'all' | 'all-combinations' | string;

export interface PlannedRun {
  /** Unique in the plan; stable across plans of the same config (no timestamps). */
  id: string;
  flow: ResolvedFlow;
  dataset: string;
  /** The local data file's absolute path, or the remote URI. */
  data: string;
  dataSource: DataSource;
  /** The variant of EVERY node that has variants. */
  variants: Record<string, string>;
  /** promptflow column mapping: input -> ${data.col} */
  columnMapping: Record<string, string>;
}

export interface PlannedEvaluation {
  id: string;
  evaluator: string;
  flow: ResolvedFlow;
  /** The evaluator dataset's name and data file (absolute path or remote URI). */
  dataset: string;
  data: string;
  dataSource: DataSource;
  /** PlannedRun.id of the experiment run this evaluates. */
  run: string;
  /** input -> ${data.col} | ${run.outputs.x} | ${target.output} */
  columnMapping: Record<string, string>;
}

export interface Plan {
  experiment: string;
  env?: string;
  /** The experiment.yaml folder: relative paths in JSON output are relative to it. */
  baseDir?: string;
  runs: PlannedRun[];
  evaluations: PlannedEvaluation[];
}
