/**
 * promptflow connections created in an isolated home before its runs, through PFClient inside
 * the first run's own Python (importing promptflow costs ~3 s; `pf connection create` per
 * connection would pay it each time, and needs a YAML file holding the secrets on disk).
 * The connections travel as JSON on stdin: secrets never appear in argv, files or our logs.
 */
import { ConfigurationError } from '../errors.js';
import { redactSecrets } from './redact.js';

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

/**
 * The Python that creates connections from a JSON list (exit 73: unknown type, 74: promptflow
 * refused one). Defines `create_connections(specs)`, which the run driver below calls.
 */
const CREATE_CONNECTIONS_FUNCTION = `
def create_connections(specs):
    import sys
    from promptflow.client import PFClient
    import promptflow.entities as entities
    client = PFClient()
    for spec in specs:
        cls = getattr(entities, spec["type"], None)
        if cls is None:
            print(f"connection {spec['name']}: promptflow has no connection type {spec['type']}", file=sys.stderr)
            sys.exit(73)
        kwargs = dict(spec.get("properties") or {})
        if spec["type"] == "CustomConnection":
            kwargs["configs"] = spec.get("configs") or {}
            # promptflow refuses a CustomConnection without secrets.
            kwargs["secrets"] = spec.get("secrets") or {"_": "_"}
        try:
            client.connections.create_or_update(cls(name=spec["name"], **kwargs))
        except Exception as error:
            print(f"connection {spec['name']}: {type(error).__name__}: {error}", file=sys.stderr)
            sys.exit(74)
`;

/**
 * \`pf\` with the connections created first, in the same interpreter: importing promptflow costs
 * seconds, and a process of its own just for connections paid that once more per stage. Runs
 * started together take a file lock; the first creates the connections and leaves a marker,
 * the others find it. The marker lives beside the keyring file, so a home reopened with a new
 * keyring gets its connections again. Connections arrive as JSON on stdin, never in argv.
 */
export const PF_WITH_CONNECTIONS = `${CREATE_CONNECTIONS_FUNCTION}
import json, os, sys
try:
    import fcntl
except ImportError:  # Windows: no flock; parallel first runs may both create (same values).
    fcntl = None
specs = json.load(sys.stdin)
if specs:
    marker = os.environ["KEYRING_PROPERTY_FILE_PATH"] + ".connections"
    with open(marker + ".lock", "w") as lock:
        if fcntl:
            fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(marker):
            create_connections(specs)
            open(marker, "w").close()
sys.argv = ["pf"] + sys.argv[1:]
from promptflow._cli.pf import main
sys.exit(main())
`;

/** Exit codes of the connection code: a connection promptflow will not take is the user's to fix. */
export const CONNECTION_EXIT_CODES: readonly number[] = [73, 74];

/** What crosses stdin: the connections without the values config resolution used for masking. */
export function connectionsPayload(connections: ConnectionSpec[]): string {
  return JSON.stringify(
    connections.map(({ name, type, properties, configs, secrets }) => ({ name, type, properties, configs, secrets })),
  );
}

/** The error for a failed connection step, secrets redacted. */
export function connectionFailure(exitCode: number | null, stderr: string, secretValues: Iterable<string>): Error {
  const reason = redactSecrets(lastMeaningfulLine(stderr), secretValues);
  if (exitCode !== null && CONNECTION_EXIT_CODES.includes(exitCode)) {
    return new ConfigurationError(`promptflow could not create ${reason}`);
  }
  return new Error(`creating promptflow connections failed (exit code ${exitCode}): ${reason}`);
}

function lastMeaningfulLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.pop() ?? '';
}
