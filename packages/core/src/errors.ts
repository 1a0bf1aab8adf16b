/**
 * Two kinds of failure, as in github/codeql-action: a user error (bad config, missing file,
 * failed gate) is reported as one clear line and exit code 1; anything else is a bug of ours
 * and keeps its stack (exit code 2).
 */

/** A place in a user's file: 1-based line and column, as editors and CI annotations count. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(
    message: string,
    readonly location?: SourceLocation,
  ) {
    super(message);
  }

  /** `file:line:col: message`, the one line users see. */
  override toString(): string {
    return formatLocated(this.message, this.location);
  }
}

/** A quality gate or a run that failed: the user's outcome, not our bug; exit code 1. */
export class StageFailure extends Error {
  override readonly name = 'StageFailure';
  constructor(
    message: string,
    /** Extra markdown (e.g. a table of failed gates) for the step summary. */
    readonly details?: string,
    /**
     * Outputs published although the stage failed: what a later `if: failure()` step (an alert,
     * a rollback) needs to see. Declared outputs only, as for a success.
     */
    readonly outputs?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The stage exists but its work is not built; it refuses instead of pretending to succeed. */
export class NotAvailableError extends ConfigurationError {}

export function formatLocated(message: string, location?: SourceLocation): string {
  if (!location) return message;
  let where = location.file;
  if (location.line !== undefined) {
    where += `:${location.line}`;
    if (location.column !== undefined) where += `:${location.column}`;
  }
  return `${where}: ${message}`;
}

export function isUserError(error: unknown): error is ConfigurationError | StageFailure {
  return error instanceof ConfigurationError || error instanceof StageFailure;
}

export const ExitCode = {
  Success: 0,
  UserError: 1,
  InternalError: 2,
} as const;
