import { ConfigurationError, ExitCode, StageFailure } from './errors.js';
import type { Host } from './host.js';
import { parseInputs } from './inputs.js';
import type { InputSpec, OutputSpec, StageSpec } from './spec.js';

/**
 * The one way every face runs a stage: parse inputs, mask secrets, run, publish outputs, and
 * turn errors into the exit code contract (0 ok, 1 user error or failed gate, 2 our bug).
 */
export async function runStage<I extends Record<string, InputSpec>, O extends Record<string, OutputSpec>>(
  stage: StageSpec<I, O>,
  host: Host,
): Promise<number> {
  try {
    // Mask before parsing: a malformed secret must not leak through a parse error either.
    for (const [name, spec] of Object.entries(stage.inputs)) {
      const raw = spec.secret ? host.getInput(name) : undefined;
      if (raw) host.setSecret(raw);
    }
    const inputs = parseInputs(stage.inputs, (name) => host.getInput(name));
    publishOutputs(stage.name, stage.outputs, host, await stage.run({ inputs, host, log: host.log }));
    return ExitCode.Success;
  } catch (error) {
    if (error instanceof StageFailure && error.outputs) {
      try {
        publishOutputs(stage.name, stage.outputs, host, error.outputs);
      } catch (bug) {
        return reportError(bug, host);
      }
    }
    return reportError(error, host);
  }
}

function publishOutputs(stage: string, declared: Record<string, OutputSpec>, host: Host, outputs: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(outputs)) {
    if (value === undefined) continue;
    if (!(name in declared)) throw new Error(`stage ${stage} returned undeclared output '${name}'`);
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const secret = declared[name]!.secret === true;
    if (secret) host.setSecret(text);
    host.setOutput(name, text, { secret });
  }
}

export async function reportError(error: unknown, host: Host): Promise<number> {
  if (error instanceof ConfigurationError) {
    host.log.error(error.message, error.location);
    return ExitCode.UserError;
  }
  if (error instanceof StageFailure) {
    host.log.error(error.message);
    if (error.details) await host.appendSummary(error.details);
    return ExitCode.UserError;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  host.log.error(`internal error (please report it): ${text}`);
  return ExitCode.InternalError;
}

