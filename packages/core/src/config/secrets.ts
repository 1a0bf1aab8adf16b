/**
 * Secrets the template takes from environment variables, resolved the same way:
 *
 * - Connections (create_connections.py): a property written `${name}` in experiment.yaml takes
 *   the value of `<CONNECTION>_<NAME>` upper-cased, so connection `aoai` with
 *   `api_key: ${api_key}` reads AOAI_API_KEY. Unset (or empty) is an error, as in the template.
 * - Flex init.json (common.py resolve_flow_type): a value `${...}` nested under a key takes
 *   `<PARENT>_<KEY>` upper-cased (`model_config.api_key` -> MODEL_CONFIG_API_KEY); at top level
 *   it takes `<KEY>`. The template silently keeps the literal `${...}` when the variable is not
 *   set, which fails later inside the flow; here it is an error at its place in init.json.
 *
 * Error messages name variables and places, never values. Every resolved value is returned in
 * `secretValues` so that the host can mask it before anything is logged.
 */
import { ConfigurationError } from '../errors.js';
import { isPlainObject } from '../json-document.js';
import type { ResolvedFlow } from '../plan/types.js';
import type { ConnectionConfig } from './connections.js';
import { YamlSource } from './yaml-source.js';

const PLACEHOLDER = /^\$\{([^{}]+)\}$/;
/** Property names whose literal values are secret even when written in the YAML. */
const SECRET_PROPERTY = /key|secret|token|password/i;

export interface ResolvedConnection extends Omit<ConnectionConfig, 'valueLocations'> {
  /** Values to register with the host's secret masking. */
  secretValues: string[];
}

export function resolveConnectionSecrets(connections: readonly ConnectionConfig[], environ: NodeJS.ProcessEnv = process.env): ResolvedConnection[] {
  return connections.map((connection) => {
    const secretValues = new Set<string>();
    const resolve = (group: Record<string, string>, prefix: string, alwaysSecret: boolean): Record<string, string> => {
      const resolved: Record<string, string> = {};
      for (const [key, written] of Object.entries(group)) {
        const field = prefix + key;
        const placeholder = PLACEHOLDER.exec(written.trim());
        if (!placeholder) {
          resolved[key] = written;
          if (alwaysSecret || SECRET_PROPERTY.test(key)) secretValues.add(written);
          continue;
        }
        const variable = `${connection.name}_${placeholder[1]!.trim()}`.toUpperCase();
        const value = environ[variable];
        if (!value) {
          throw new ConfigurationError(
            `${field}: environment variable ${variable} is not set (connection '${connection.name}' takes ${written} from <CONNECTION>_<NAME>)`,
            connection.valueLocations[field] ?? connection.location,
          );
        }
        resolved[key] = value;
        secretValues.add(value);
      }
      return resolved;
    };
    const { valueLocations: _locations, ...rest } = connection;
    return {
      ...rest,
      properties: resolve(connection.properties, '', false),
      configs: resolve(connection.configs, 'configs.', false),
      secrets: resolve(connection.secrets, 'secrets.', true),
      secretValues: [...secretValues].filter((value) => value !== ''),
    };
  });
}

export interface ResolvedInit {
  values: Record<string, unknown>;
  secretValues: string[];
}

/** Fill the `${...}` values of a class flow's init.json from the environment. */
export async function resolveFlexInit(flow: ResolvedFlow, environ: NodeJS.ProcessEnv = process.env): Promise<ResolvedInit> {
  const init = flow.init ?? {};
  const secretValues: string[] = [];
  const missing: { path: string[]; variable: string }[] = [];
  const take = (variable: string, pathInInit: string[]): string | undefined => {
    const value = environ[variable];
    if (!value) {
      missing.push({ path: pathInInit, variable });
      return undefined;
    }
    secretValues.push(value);
    return value;
  };

  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(init)) {
    if (typeof value === 'string' && PLACEHOLDER.test(value)) {
      values[key] = take(key.toUpperCase(), [key]) ?? value;
    } else if (isPlainObject(value)) {
      const inner: Record<string, unknown> = {};
      for (const [innerKey, innerValue] of Object.entries(value)) {
        inner[innerKey] =
          typeof innerValue === 'string' && PLACEHOLDER.test(innerValue)
            ? (take(`${key}_${innerKey}`.toUpperCase(), [key, innerKey]) ?? innerValue)
            : innerValue;
      }
      values[key] = inner;
    } else {
      values[key] = value;
    }
  }

  const [first] = missing;
  if (first) throw await missingInitVariable(flow, first.path, first.variable);
  return { values, secretValues };
}

async function missingInitVariable(flow: ResolvedFlow, pathInInit: string[], variable: string): Promise<ConfigurationError> {
  const problem = `environment variable ${variable} is not set`;
  if (!flow.initFile) return new ConfigurationError(`init.${pathInInit.join('.')}: ${problem}`);
  const source = await YamlSource.read(flow.initFile, 'init.json');
  return source.errorAt(pathInInit, problem);
}

