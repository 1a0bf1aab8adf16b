import { NotAvailableError } from '../errors.js';

/** The honest answer of a stage whose work is not built yet: refuse, never pretend. */
export function notAvailable(stage: string): never {
  throw new NotAvailableError(`llmops ${stage} is not available yet`);
}
