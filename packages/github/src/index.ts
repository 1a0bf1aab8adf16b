import path from 'node:path';
import * as core from '@actions/core';
import {
  ConfigurationError,
  cancellationOnSignals,
  runStage,
  type Host,
  type Logger,
  type SourceLocation,
  type StageSpec,
} from '@llmops/core';

/** Annotations want paths relative to the checkout, as GitHub shows them in the diff. */
function annotation(location: SourceLocation | undefined): core.AnnotationProperties {
  if (!location) return {};
  const workspace = process.env.GITHUB_WORKSPACE;
  const file = workspace && path.isAbsolute(location.file) ? path.relative(workspace, location.file) : location.file;
  return { file, startLine: location.line, startColumn: location.column };
}

const logger: Logger = {
  info: (message) => core.info(message),
  debug: (message) => core.debug(message),
  warning: (message, location) => core.warning(message, annotation(location)),
  error: (message, location) => core.error(message, annotation(location)),
  group: (title, fn) => core.group(title, fn),
};

export class GitHubHost implements Host {
  readonly kind = 'github' as const;
  readonly log = logger;
  readonly workingDirectory = process.cwd();
  readonly env = process.env;
  readonly signal = cancellationOnSignals();

  getInput(name: string): string | undefined {
    return core.getInput(name, { trimWhitespace: false });
  }

  setOutput(name: string, value: string): void {
    core.setOutput(name, value);
  }

  async appendSummary(markdown: string): Promise<void> {
    // Outside a runner (local-action, tests) there is no summary file: nothing to append to.
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    await core.summary.addRaw(markdown, true).write();
  }

  private readonly masked = new Set<string>();

  setSecret(value: string): void {
    // Once is enough for the runner; a value found twice (a key listed, then output) is told once.
    if (!value || this.masked.has(value)) return;
    this.masked.add(value);
    core.setSecret(value);
  }

  async getIdToken(audience: string): Promise<string> {
    // The runner only offers a token to jobs granted it; say how, rather than core's env var name.
    if (!process.env.ACTIONS_ID_TOKEN_REQUEST_URL || !process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
      throw new ConfigurationError(
        'GitHub OIDC is not available to this job: add `permissions: id-token: write` to the workflow or job',
      );
    }
    return core.getIDToken(audience);
  }
}

/** The whole body of an action's entry: run the stage, set the step's exit code. */
export async function runAction(stage: StageSpec<any, any>): Promise<void> {
  process.exitCode = await runStage(stage, new GitHubHost());
}
