/**
 * The agent hands inputs to a task as INPUT_<NAME> variables. azure-pipelines-task-lib moves
 * them into its vault when it loads, and its getInput() then writes `name=value` as a debug
 * line: for a secret input that line would carry the secret before we could mask it. So this
 * module, imported before the task-lib, keeps its own copy and the host never calls getInput.
 */
const inputs = new Map<string, string>();
for (const [key, value] of Object.entries(process.env)) {
  if (key.startsWith('INPUT_') && value !== undefined) inputs.set(key, value);
}

/** The agent's key for an input name, as task-lib computes it (dots and spaces to _, upper case). */
export function readInput(name: string): string | undefined {
  return inputs.get(`INPUT_${name.replace(/[. ]/g, '_').toUpperCase()}`);
}
