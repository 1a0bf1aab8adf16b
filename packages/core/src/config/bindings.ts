/**
 * Column mappings: which values promptflow accepts for a flow input in `pf run --column-mapping`.
 *
 * promptflow (promptflow/_utils/inputs_mapping_utils.py) treats a string that is exactly
 * `${<source>.<name>}` as a binding and anything else as a literal. The sources it can resolve:
 * `data` (the run's data file) and, for a run against a base run, `run.outputs` and
 * `run.inputs`. `${target.<name>}` is the promptflow-evals spelling of a target's output, which
 * the template's configs use for evaluators. A `${...}` that is none of these is almost always a
 * typo that promptflow would only report at run time, after compute was spent, so it is an error
 * here; so is text that mixes a `${...}` with other characters, which promptflow would pass on
 * as a literal string.
 */

/** Where a mapping is used: an experiment dataset feeds a flow; an evaluator dataset also sees the run it evaluates. */
export type MappingContext = 'experiment-dataset' | 'evaluator-dataset';

const WHOLE_BINDING = /^\$\{([^{}]+)\}$/;
const DATA_BINDING = /^data\.[^.\s][^\s]*$/;
const RUN_BINDING = /^run\.(outputs|inputs)\.[^.\s][^\s]*$/;
const TARGET_BINDING = /^target\.[^.\s][^\s]*$/;

function legalForms(context: MappingContext): string {
  return context === 'experiment-dataset'
    ? '${data.<column>} or a literal value'
    : '${data.<column>} or ${run.outputs.<name>}';
}

/**
 * Why a mapping value is not acceptable, or undefined when it is. Numbers and booleans are
 * literals, as they are to promptflow.
 */
export function mappingProblem(value: unknown, context: MappingContext): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return undefined;
  if (value === null || value === undefined) return `empty value; use ${legalForms(context)}`;
  if (typeof value !== 'string') return `expected a binding such as ${legalForms(context)}, found a ${Array.isArray(value) ? 'list' : 'mapping'}`;

  const whole = WHOLE_BINDING.exec(value);
  if (!whole) {
    if (value.includes('${')) return `'${value}' is not a binding; use ${legalForms(context)}`;
    return undefined; // a literal
  }
  const reference = whole[1]!.trim();
  if (DATA_BINDING.test(reference)) return undefined;
  if (RUN_BINDING.test(reference) || TARGET_BINDING.test(reference)) {
    if (context === 'evaluator-dataset') return undefined;
    return `'${value}' refers to the run being evaluated; only evaluator datasets have one. Use \${data.<column>}`;
  }
  return `'${value}' is not a binding; use ${legalForms(context)}`;
}

/** promptflow receives column mappings as strings (`--column-mapping k=v`); literals are written as YAML shows them. */
export function mappingValueToString(value: string | number | boolean): string {
  return typeof value === 'string' ? value : String(value);
}
