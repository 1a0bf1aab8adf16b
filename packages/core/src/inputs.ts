import { ConfigurationError } from './errors.js';
import type { InputSpec, InputValues } from './spec.js';

// YAML 1.2 core schema booleans, as @actions/core getBooleanInput accepts them.
const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);

/**
 * Turn raw runner strings into typed values. Every problem is a one-line ConfigurationError
 * naming the input, so a typo in a workflow file reads like a typo, not a crash.
 */
export function parseInputs<I extends Record<string, InputSpec>>(
  specs: I,
  getRaw: (name: string) => string | undefined,
): InputValues<I> {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = getRaw(name);
    const given = raw !== undefined && raw.trim() !== '';
    if (!given) {
      if (spec.required && spec.default === undefined) {
        throw new ConfigurationError(`input '${name}' is required: ${spec.description}`);
      }
      values[name] = spec.default;
      continue;
    }
    values[name] = parseOne(name, spec, spec.type === 'multiline' ? raw : raw.trim());
  }
  return values as InputValues<I>;
}

function parseOne(name: string, spec: InputSpec, raw: string): unknown {
  switch (spec.type) {
    case 'boolean':
      if (TRUE.has(raw)) return true;
      if (FALSE.has(raw)) return false;
      throw new ConfigurationError(`input '${name}': '${raw}' is not a boolean; use true or false`);
    case 'integer':
    case 'number': {
      const value = Number(raw);
      if (!Number.isFinite(value) || (spec.type === 'integer' && !Number.isInteger(value))) {
        throw new ConfigurationError(`input '${name}': '${raw}' is not ${spec.type === 'integer' ? 'an integer' : 'a number'}`);
      }
      if (spec.min !== undefined && value < spec.min) {
        throw new ConfigurationError(`input '${name}': ${value} is below the minimum ${spec.min}`);
      }
      if (spec.max !== undefined && value > spec.max) {
        throw new ConfigurationError(`input '${name}': ${value} is above the maximum ${spec.max}`);
      }
      return value;
    }
    case 'choice':
      if (!spec.choices?.includes(raw)) {
        throw new ConfigurationError(`input '${name}': '${raw}' is not one of ${spec.choices?.join(', ')}`);
      }
      return raw;
    default:
      return raw;
  }
}
