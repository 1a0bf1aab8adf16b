import type { Host, Logger } from './host.js';

/**
 * A stage is declared once, here-shaped; action.yml, task.json, CLI flags and the reference
 * docs are all generated from the declaration (scripts/build.ts), so they cannot drift apart.
 */
export type InputType = 'string' | 'multiline' | 'path' | 'boolean' | 'integer' | 'number' | 'choice';

export interface InputSpec {
  type: InputType;
  description: string;
  default?: string | number | boolean;
  required?: boolean;
  /** Registered with the runner's masking before first use; never echoed. */
  secret?: boolean;
  /** Allowed values of a 'choice' input. */
  choices?: readonly string[];
  /** Inclusive bounds of a number or integer input. */
  min?: number;
  max?: number;
  /** Shown in the Azure DevOps task editor as this kind of picker instead of a text box. */
  azurePipelinesType?: 'connectedService:AzureRM';
  /** Where this input is read from, besides the flag, on the CLI (e.g. GITHUB_TOKEN). */
  cliEnv?: string;
}

export interface OutputSpec {
  description: string;
  /** The value is structured data; runners get it as a JSON string, `--json` nests it. */
  json?: boolean;
  /** Registered with the runner's masking before it is set; the CLI prints *** in its place. */
  secret?: boolean;
}

type ValueOf<S extends InputSpec> = S['type'] extends 'boolean'
  ? boolean
  : S['type'] extends 'integer' | 'number'
    ? number
    : S extends { choices: readonly (infer Choice extends string)[] }
      ? Choice
      : string;

/** Inputs with a default or `required: true` always have a value; the rest may be undefined. */
export type InputValues<I extends Record<string, InputSpec>> = {
  [K in keyof I]: I[K] extends { default: string | number | boolean } | { required: true }
    ? ValueOf<I[K]>
    : ValueOf<I[K]> | undefined;
};

export type OutputValues<O extends Record<string, OutputSpec>> = {
  [K in keyof O]?: O[K] extends { json: true } ? unknown : string;
};

export interface StageContext<I extends Record<string, InputSpec>> {
  readonly inputs: InputValues<I>;
  readonly host: Host;
  readonly log: Logger;
}

export interface StageSpec<
  I extends Record<string, InputSpec> = Record<string, InputSpec>,
  O extends Record<string, OutputSpec> = Record<string, OutputSpec>,
> {
  /** kebab-case; the CLI subcommand and the action folder. */
  name: string;
  /** Title case; the task's friendly name. */
  title: string;
  description: string;
  inputs: I;
  outputs: O;
  /** Loaded on demand so a stage's heavy dependencies do not slow every start-up. */
  run(ctx: StageContext<I>): Promise<OutputValues<O>>;
}

/** Identity function that keeps the literal types of a stage's inputs and outputs. */
export function defineStage<const I extends Record<string, InputSpec>, const O extends Record<string, OutputSpec>>(
  spec: StageSpec<I, O>,
): StageSpec<I, O> {
  return spec;
}

/** Azure DevOps input names allow no hyphens: `max-parallel-runs` -> `maxParallelRuns`. */
export function azurePipelinesInputName(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `register-if-changed` -> `RegisterIfChanged`, the Azure DevOps task name stem. */
export function pascalCase(name: string): string {
  const camel = azurePipelinesInputName(name);
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

/** `max-parallel-runs` -> `LLMOPS_MAX_PARALLEL_RUNS`, the CLI's environment fallback. */
export function cliEnvName(name: string): string {
  return `LLMOPS_${name.replace(/-/g, '_').toUpperCase()}`;
}
