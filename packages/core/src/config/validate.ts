/**
 * zod validation whose failures come out as one located line.
 *
 * zod reports every issue it finds; users get the one that appears first in their file, phrased
 * in YAML words ("a list", "a mapping") rather than JavaScript ones, and never quoting a value
 * (a misplaced secret must not end up in a CI log).
 */
import * as z from 'zod';
import type { ConfigurationError } from '../errors.js';
import { isPlainObject } from '../json-document.js';
import { unknownNameMessage } from '../suggest.js';
import { describeValue, formatFieldPath, type FieldPath, type LocationTarget, type YamlSource } from './yaml-source.js';

/**
 * A zod object that rejects unknown keys with "unknown key 'x'; did you mean 'y'?". Keys
 * starting with `$` (`$schema`, used by editors for completion) are tolerated.
 */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const knownKeys = Object.keys(shape);
  return z
    .looseObject(shape)
    .superRefine((value, context) => {
      for (const key of Object.keys(value)) {
        if (key in shape || key.startsWith('$')) continue;
        context.addIssue({
          code: 'custom',
          path: [key],
          message: unknownNameMessage('key', key, knownKeys),
          params: { target: 'key' },
        });
      }
    }, {
      // Report unknown keys even when a known key is missing or wrong: a misspelt key is
      // usually the very reason the right one is missing.
      when: (payload) => isPlainObject(payload.value),
    })
    .transform((value) => {
      const known: Record<string, unknown> = {};
      for (const key of knownKeys) if (key in value) known[key] = value[key as keyof typeof value];
      return known as z.output<z.ZodObject<Shape>>;
    });
}

/** A string that must not be empty or only blanks. */
export const nonEmptyString = z.string().refine((value) => value.trim() !== '', { message: 'must not be empty' });

interface LocatedProblem {
  fieldPath: FieldPath;
  problem: string;
  target: LocationTarget;
  /** A required key is absent: `fieldPath` is the mapping that lacks it. */
  missingKey?: boolean;
  /** An unknown key: `fieldPath` ends with that key. */
  unknownKey?: boolean;
}

/**
 * Validate `value` (read from `source` at `basePath`) against `schema`. On failure, throw the
 * ConfigurationError of the issue that comes first in the file.
 */
export function parseWithSchema<Schema extends z.ZodType>(
  source: YamlSource,
  schema: Schema,
  value: unknown,
  basePath: FieldPath = [],
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => describeIssue(issue, value, basePath));
  throw earliestError(source, withoutMisspeltKeyEchoes(problems));
}

/**
 * A misspelt key shows up twice: as an unknown key and as the required key it was meant to be.
 * The unknown key (with its "did you mean") is the useful half; drop the missing-key echo.
 */
function withoutMisspeltKeyEchoes(problems: LocatedProblem[]): LocatedProblem[] {
  const mappingsWithUnknownKeys = new Set(
    problems.filter((problem) => problem.unknownKey).map((problem) => formatFieldPath(problem.fieldPath.slice(0, -1))),
  );
  return problems.filter((problem) => !(problem.missingKey && mappingsWithUnknownKeys.has(formatFieldPath(problem.fieldPath))));
}

function earliestError(source: YamlSource, problems: LocatedProblem[]): ConfigurationError {
  const errors = problems.map((problem) => source.errorAt(problem.fieldPath, problem.problem, problem.target));
  errors.sort((a, b) => {
    const lineDelta = (a.location?.line ?? 0) - (b.location?.line ?? 0);
    return lineDelta !== 0 ? lineDelta : (a.location?.column ?? 0) - (b.location?.column ?? 0);
  });
  return errors[0]!;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown, basePath: FieldPath): LocatedProblem {
  const relativePath = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  const fieldPath = [...basePath, ...relativePath];
  const actual = valueAt(root, relativePath);
  const isMissingKey =
    (issue.code === 'invalid_type' || issue.code === 'invalid_union') &&
    actual === undefined &&
    relativePath.length > 0 &&
    isPlainObject(valueAt(root, relativePath.slice(0, -1)));
  if (isMissingKey) {
    const key = relativePath[relativePath.length - 1]!;
    return { fieldPath: fieldPath.slice(0, -1), problem: `missing required key '${String(key)}'`, target: 'value', missingKey: true };
  }
  switch (issue.code) {
    case 'invalid_type': {
      return { fieldPath, problem: `expected ${describeExpected(issue.expected)}, found ${describeValue(actual)}`, target: 'value' };
    }
    case 'invalid_union': {
      const expected = new Set<string>();
      for (const branch of issue.errors) {
        for (const inner of branch) if (inner.code === 'invalid_type') expected.add(describeExpected(inner.expected));
      }
      const wanted = expected.size > 0 ? [...expected].join(' or ') : 'a different value';
      return { fieldPath, problem: `expected ${wanted}, found ${describeValue(actual)}`, target: 'value' };
    }
    case 'custom': {
      const target = (issue.params as { target?: LocationTarget } | undefined)?.target ?? 'value';
      return { fieldPath, problem: issue.message, target, unknownKey: target === 'key' };
    }
    default:
      return { fieldPath, problem: issue.message, target: 'value' };
  }
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
    case 'int':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'null':
      return 'an empty value';
    default:
      return expected;
  }
}

function valueAt(root: unknown, fieldPath: FieldPath): unknown {
  let current: unknown = root;
  for (const segment of fieldPath) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

