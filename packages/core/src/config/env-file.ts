/**
 * environment/env.yaml: environment variables for flow runs, as the template's
 * resolve_env_vars (llmops/common/common.py) reads them.
 *
 * - Keys are upper-cased. A variable already set in the environment wins over the file.
 * - `${VAR}` takes VAR from the environment; a missing VAR is an error at its place. Unlike the
 *   template (which substitutes only a value that is exactly `${VAR}`), `${VAR}` inside longer
 *   text is substituted too.
 * - Scalars become strings the way Python's str() wrote them for the template: `false` is
 *   "False", `true` is "True", and numbers keep the spelling of the file (`1.0` stays "1.0").
 * - An empty value is an error: the template refuses empty values too.
 */
import { isMap, isPair, isScalar } from 'yaml';
import type { FieldPath } from './yaml-source.js';
import { YamlSource, pathKind } from './yaml-source.js';

export interface LoadEnvFileOptions {
  environ?: NodeJS.ProcessEnv;
  /** When true, a missing file yields no variables (the template's behaviour for environment/env.yaml). */
  optional?: boolean;
}

/** Variables for the run, by upper-cased name. Values taken from the environment may be secrets: mask them. */
export interface EnvFileVariables {
  variables: Record<string, string>;
  /** Names whose value came from the environment (substituted or overriding the file). */
  fromEnvironment: string[];
}

const PLACEHOLDER = /\$\{([^{}]*)\}/g;

export async function loadEnvFile(file: string, options: LoadEnvFileOptions = {}): Promise<EnvFileVariables> {
  const environ = options.environ ?? process.env;
  if (options.optional && (await pathKind(file)) === undefined) return { variables: {}, fromEnvironment: [] };

  const source = await YamlSource.read(file, 'env file');
  const root = source.nodeAt([]);
  if (!isMap(root)) throw source.errorAt([], 'expected a mapping of VARIABLE: value');

  const variables: Record<string, string> = {};
  const fromEnvironment: string[] = [];
  for (const pair of root.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const writtenKey = String(pair.key.value);
    const at: FieldPath = [writtenKey];
    const name = writtenKey.trim().toUpperCase();
    if (name === '') throw source.errorAt(at, 'empty variable name', 'key');

    const existing = environ[name];
    if (existing !== undefined) {
      variables[name] = existing;
      fromEnvironment.push(name);
      continue;
    }

    const value = pair.value;
    if (!isScalar(value) || value.value === null || String(value.value).trim() === '') {
      if (value && !isScalar(value)) throw source.errorAt(at, 'expected a single value, found a list or mapping');
      throw source.errorAt(at, 'empty value; give a value or ${VARIABLE}', 'key');
    }
    const text = scalarText(value.value, value.source);
    let substituted = false;
    variables[name] = text.replace(PLACEHOLDER, (_placeholder, reference: string) => {
      const variable = reference.trim();
      const resolved = variable === '' ? undefined : environ[variable];
      if (resolved === undefined) {
        throw source.errorAt(at, `environment variable ${variable || '(empty name)'} is not set (referenced as \${${reference}})`);
      }
      substituted = true;
      return resolved;
    });
    if (substituted) fromEnvironment.push(name);
  }
  return { variables, fromEnvironment };
}

function scalarText(value: unknown, written: string | undefined): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return written?.trim() || String(value);
  return String(value).trim();
}
