export * from './types.js';
export {
  planExperiment,
  planToJson,
  type PlanOptions,
  type PlanJson,
  type PlannedRunJson,
  type PlannedEvaluationJson,
} from './plan.js';
export { variantCombinations, parseVariantSelection, type VariantCombination } from './variants.js';
