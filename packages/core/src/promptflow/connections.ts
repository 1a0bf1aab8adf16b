/**
 * promptflow connections created in an isolated home before its runs. One Python process creates
 * them all through PFClient (importing promptflow costs ~3 s; `pf connection create` per
 * connection would pay it each time, and needs a YAML file holding the secrets on disk).
 * The connections travel as JSON on stdin: secrets never appear in argv, files or our logs.
 */
import { ConfigurationError } from '../errors.js';
import { redactSecrets } from './redact.js';
import { runProcess } from './process.js';

/** A connection with its values resolved (secrets filled in), as config/secrets.ts produces it. */
export interface ConnectionSpec {
  name: string;
  /** promptflow class name: AzureOpenAIConnection, OpenAIConnection, CustomConnection, ... */
  type: string;
  /** Keyword arguments of the class (api_key, api_base, base_url, ...). */
  properties: Record<string, string>;
  /** CustomConnection only. */
  configs?: Record<string, string>;
  /** CustomConnection only. */
  secrets?: Record<string, string>;
}

const CREATE_CONNECTIONS = `
import json, sys
specs = json.load(sys.stdin)
from promptflow.client import PFClient
import promptflow.entities as entities
client = PFClient()
created = []
for spec in specs:
    cls = getattr(entities, spec["type"], None)
    if cls is None:
        print(f"connection {spec['name']}: promptflow has no connection type {spec['type']}", file=sys.stderr)
        sys.exit(3)
    kwargs = dict(spec.get("properties") or {})
    if spec["type"] == "CustomConnection":
        kwargs["configs"] = spec.get("configs") or {}
        # promptflow refuses a CustomConnection without secrets.
        kwargs["secrets"] = spec.get("secrets") or {"_": "_"}
    try:
        client.connections.create_or_update(cls(name=spec["name"], **kwargs))
    except Exception as error:
        print(f"connection {spec['name']}: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(4)
    created.append(spec["name"])
print(json.dumps({"created": created}))
`;

export interface CreateConnectionsOptions {
  python: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Values to hide from error messages (every secret of every connection). */
  secretValues: string[];
}

export async function createConnections(
  connections: ConnectionSpec[],
  options: CreateConnectionsOptions,
): Promise<void> {
  if (connections.length === 0) return;
  const payload = connections.map(({ name, type, properties, configs, secrets }) => ({
    name,
    type,
    properties,
    configs,
    secrets,
  }));
  const result = await runProcess(options.python, ['-c', CREATE_CONNECTIONS], {
    env: options.env,
    stdin: JSON.stringify(payload),
    signal: options.signal,
  });
  if (result.canceled) throw options.signal?.reason ?? new Error('connection creation canceled');
  if (result.exitCode === 0) return;

  const reason = redactSecrets(lastMeaningfulLine(result.stderr), options.secretValues);
  if (result.exitCode === 3 || result.exitCode === 4)
    throw new ConfigurationError(`promptflow could not create ${reason}`);
  throw new Error(`creating promptflow connections failed (exit code ${result.exitCode}): ${reason}`);
}

function lastMeaningfulLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.pop() ?? '';
}
