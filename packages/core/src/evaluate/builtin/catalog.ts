/**
 * The builtin evaluators: azure-ai-evaluation's code-based evaluators (promptflow-evals'
 * successor) that an evaluator in experiment.yaml names with `builtin:` instead of a flow.
 *
 * Only evaluators that compute offline are offered: no model, no Azure project, and no download
 * at run time. azure-ai-evaluation 1.18's BLEU, GLEU and METEOR evaluators tokenize with NLTK
 * and call `nltk.download()` for punkt, punkt_tab, wordnet and perluniprops on first use
 * (`_common/utils.py: ensure_nltk_data_downloaded`): on a CI machine that is an unpinned network
 * fetch in the middle of an evaluation, and offline it fails every line. They are named here so
 * that asking for one says why it is missing rather than "unknown".
 *
 * Each entry records what the config loader checks before anything runs (the evaluator's call
 * inputs, which mappings may name, and its constructor parameters) and what the generated flex
 * flow needs (the class to import). Parameters follow the SDK's signatures in 1.18.10.
 */
import type { BuiltinFlowSpec, ResolvedFlow } from '../../plan/types.js';

export interface BuiltinInitParameter {
  type: 'number' | 'string';
  required?: boolean;
  /** Allowed values of a string parameter. */
  choices?: readonly string[];
  description: string;
}

export interface BuiltinEvaluator {
  /** The name written after `builtin:`; also the prefix of the metrics it reports. */
  name: string;
  /** The class exported by `azure.ai.evaluation`, also accepted after `builtin:`. */
  className: string;
  /** Keyword arguments of the evaluator's call, in the SDK's order: the inputs mappings fill. */
  inputs: readonly string[];
  init: Readonly<Record<string, BuiltinInitParameter>>;
  description: string;
}

/** The azure-ai-evaluation version the catalog and the generated flows were checked with. */
export const AZURE_AI_EVALUATION_VERSION = '1.18.10';

const THRESHOLD: BuiltinInitParameter = {
  type: 'number',
  description: 'score at or above which a line passes (the <metric>_pass_rate metric); default 0.5',
};

export const BUILTIN_EVALUATORS: readonly BuiltinEvaluator[] = [
  {
    name: 'f1_score',
    className: 'F1ScoreEvaluator',
    inputs: ['response', 'ground_truth'],
    init: { threshold: THRESHOLD },
    description: 'token-level F1 between response and ground truth (lower-cased, punctuation and articles removed)',
  },
  {
    name: 'rouge',
    className: 'RougeScoreEvaluator',
    inputs: ['response', 'ground_truth'],
    init: {
      rouge_type: {
        type: 'string',
        required: true,
        choices: ['rouge1', 'rouge2', 'rouge3', 'rouge4', 'rouge5', 'rougeL'],
        description: 'n-gram overlap (rouge1 to rouge5) or longest common subsequence (rougeL)',
      },
      precision_threshold: THRESHOLD,
      recall_threshold: THRESHOLD,
      f1_score_threshold: THRESHOLD,
    },
    description: 'ROUGE precision, recall and F-measure of the response against the ground truth',
  },
];

/** Evaluators of azure-ai-evaluation that are deliberately not offered, and why (completes "<Class> ..."). */
export const UNAVAILABLE_BUILTINS: Readonly<Record<string, { className: string; reason: string }>> = {
  bleu: { className: 'BleuScoreEvaluator', reason: 'downloads NLTK data at run time' },
  gleu: { className: 'GleuScoreEvaluator', reason: 'downloads NLTK data at run time' },
  meteor: { className: 'MeteorScoreEvaluator', reason: 'downloads NLTK data, wordnet included, at run time' },
};

export const BUILTIN_NAMES: readonly string[] = BUILTIN_EVALUATORS.map((evaluator) => evaluator.name);

export type BuiltinLookup =
  | { kind: 'found'; evaluator: BuiltinEvaluator }
  | { kind: 'unavailable'; name: string; className: string; reason: string }
  | { kind: 'unknown' };

/** A builtin by its name or its class name, exactly as written (names are case-sensitive in the SDK too). */
export function lookupBuiltin(written: string): BuiltinLookup {
  const evaluator = BUILTIN_EVALUATORS.find(
    (candidate) => candidate.name === written || candidate.className === written,
  );
  if (evaluator) return { kind: 'found', evaluator };
  for (const [name, unavailable] of Object.entries(UNAVAILABLE_BUILTINS)) {
    if (name === written || unavailable.className === written) return { kind: 'unavailable', name, ...unavailable };
  }
  return { kind: 'unknown' };
}

/** The builtin a resolved name denotes; the config loader has checked it exists. */
export function builtinEvaluator(name: string): BuiltinEvaluator {
  const lookup = lookupBuiltin(name);
  if (lookup.kind !== 'found') throw new Error(`no builtin evaluator '${name}'`);
  return lookup.evaluator;
}

/** The module and class of every generated builtin flow (evaluate/builtin/materialize.ts writes them). */
export const BUILTIN_FLOW_MODULE = 'llmops_builtin_evaluator';
export const BUILTIN_FLOW_CLASS = 'BuiltinEvaluator';

/**
 * The flow of a builtin evaluator as the config and the plan see it: a flex class flow whose
 * folder the evaluate stage writes before running it, hence `builtin:<name>` for its paths.
 */
export function builtinFlowPlaceholder(spec: BuiltinFlowSpec): ResolvedFlow {
  const where = `builtin:${spec.name}`;
  return {
    path: where,
    kind: 'flex-class',
    definitionFile: where,
    entry: `${BUILTIN_FLOW_MODULE}:${BUILTIN_FLOW_CLASS}`,
    nodeVariants: {},
    builtin: spec,
  };
}
