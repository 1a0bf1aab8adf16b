/**
 * The local executor: flows run with the real promptflow (`pf run create`) in an isolated home.
 *
 * One executor = one stage invocation = one promptflow home with its connections. Each run is one
 * Python process (the same one `pf run create` starts by hand), so our overhead per run is the
 * reading of its run folder; the per-invocation costs (finding Python, writing the home's config,
 * creating connections in one process) are paid once in `start`.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveFlexInit } from '../config/secrets.js';
import { ConfigurationError } from '../errors.js';
import type { FlowExecutor, FlowRunRequest, FlowRunResult, RunOptions } from '../executor/types.js';
import type { Logger } from '../host.js';
import {
  CONNECTION_EXIT_CODES,
  PF_WITH_CONNECTIONS,
  connectionFailure,
  connectionsPayload,
  type ConnectionSpec,
} from './connections.js';
import { createPromptflowHome, PROMPTFLOW_ENV, type PromptflowHome } from './home.js';
import { runProcess, type ProcessResult } from './process.js';
import {
  findPromptflowPython,
  selfAndAncestors,
  SUPPORTED_PROMPTFLOW_VERSION,
  type PromptflowPython,
} from './python.js';
import { redactSecrets } from './redact.js';
import { parseRunJson, readRunDirectory, type PrintedRun } from './run-dir.js';
import { materializeFlowVariants, planVariantSelection } from './variants.js';

export interface LocalPromptflowExecutorOptions {
  /** The promptflow home (with every run's folder) and materialized flows go under here. */
  outputDir: string;
  /** Reopen this promptflow home instead of making a new one (evaluation runs join its runs). */
  home?: string;
  /** Python interpreter with promptflow; default: the nearest .venv from projectDir up, else python3. */
  python?: string;
  /** Where the .venv search starts (it and its parents). Default: the working directory. */
  projectDir?: string;
  /** Connections to create in the home before any run, secrets filled in. */
  connections?: Array<ConnectionSpec & { secretValues?: string[] }>;
  /** Variables for every run (environment/env.yaml), over `env`. */
  environmentVariables?: Record<string, string>;
  /** The environment promptflow processes inherit, and flex init secrets are read from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** More values to keep out of everything we pass on (the connections' own are added). */
  secretValues?: string[];
  /** Lines run at once inside a run when the caller does not say (PF_WORKER_COUNT). */
  defaultLineConcurrency?: number;
  /** On cancellation, between SIGTERM and SIGKILL of a run's process group. */
  killGraceMs?: number;
}

/** A run request with what only local promptflow runs take. */
export interface PromptflowRunRequest extends FlowRunRequest {
  /**
   * flex class flows: init kwargs with secrets filled in. When absent, the flow's init.json
   * values are used with their `${...}` secrets taken from the environment.
   */
  init?: Record<string, unknown>;
  /** Variables for this run only, over the executor's. */
  environmentVariables?: Record<string, string>;
}

/** `${connection.key}` values are resolved by promptflow from a connection: pass them through. */
const CONNECTION_REFERENCE = /^\$\{[^{}.]+\.[^{}]+\}$/;
const FIRST_ERROR_PREFIX = /^First error message is: /;
/** Run names become folder names in the home. */
const RUN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const MAX_ERROR_CHARS = 1000;
/** How many times a run whose line processes crashed is resumed. */
const CRASH_RESUMES = 1;

export class LocalPromptflowExecutor implements FlowExecutor {
  /** Aborted by close(): stops every run still going. */
  private readonly closing = new AbortController();
  private readonly secretValues: Set<string>;

  private constructor(
    readonly python: PromptflowPython,
    readonly home: PromptflowHome,
    private readonly options: LocalPromptflowExecutorOptions,
    secretValues: Iterable<string>,
    /** The connections, as every run's Python reads them on stdin (PF_WITH_CONNECTIONS). */
    private readonly connectionsJson: string,
  ) {
    this.secretValues = new Set(secretValues);
  }

  /** Find Python with promptflow, prepare an isolated home and create the connections. */
  static async start(options: LocalPromptflowExecutorOptions): Promise<LocalPromptflowExecutor> {
    const env = options.env ?? process.env;
    const python = await findPromptflowPython({
      python: options.python,
      searchDirs: selfAndAncestors(options.projectDir ?? process.cwd()),
      env,
    });
    options.log?.info(`promptflow ${python.promptflowVersion} with ${python.python}`);
    if (python.promptflowVersion !== SUPPORTED_PROMPTFLOW_VERSION) {
      options.log?.warning(
        `llmops is tested with promptflow ${SUPPORTED_PROMPTFLOW_VERSION}; ${python.python} has ${python.promptflowVersion}`,
      );
    }

    const home = await createPromptflowHome(options.outputDir, python.promptflowVersion, options.home);
    const connections = options.connections ?? [];
    const secretValues = [...(options.secretValues ?? []), ...connections.flatMap(connectionSecrets)];
    const executor = new LocalPromptflowExecutor(python, home, options, secretValues, connectionsPayload(connections));
    if (connections.length > 0) {
      if (!python.keyringsAltVersion) {
        options.log?.warning(
          `keyrings.alt is not installed for ${python.python}: promptflow may find no keyring for connections; run \`pip install keyrings.alt\``,
        );
      }
      // Created by the first run's own Python process (PF_WITH_CONNECTIONS), not one of their own.
      options.log?.info(`connections ${connections.map((c) => c.name).join(', ')} for ${home.dir}`);
    }
    return executor;
  }

  async run(request: PromptflowRunRequest, options: RunOptions = {}): Promise<FlowRunResult> {
    const signal = options.signal ? AbortSignal.any([options.signal, this.closing.signal]) : this.closing.signal;
    const command = await this.commandFor(request, options.lineConcurrency ?? this.options.defaultLineConcurrency);
    try {
      let outcome = await this.resultOf(request.name, await this.pf(command.args, command.env, signal), signal);
      // A line whose process died under it (promptflow's worker pool lost the process) says
      // nothing about the flow. Such lines get one more go, in a run that resumes this one:
      // promptflow keeps the finished lines and re-runs the failed ones (all of them, so a flow
      // error is simply met again).
      for (let attempt = 1; attempt <= CRASH_RESUMES && !signal.aborted && outcome.status !== 'Canceled'; attempt++) {
        const crashed = outcome.failedLines.filter((line) => line.crashed).length;
        if (crashed === 0) break;
        const name = `${request.name}_resume${attempt}`;
        this.options.log?.warning(
          `run ${outcome.name}: the process of ${crashed} line(s) crashed; resuming it as run ${name} to run its failed lines again`,
        );
        const resumed = await this.pf(['run', 'create', '--resume-from', outcome.name, '--name', name], command.env, signal);
        outcome = { ...(await this.resultOf(name, resumed, signal)), resumedFrom: outcome.name };
      }
      return outcome;
    } finally {
      await command.cleanup();
    }
  }

  /** One `pf` command in the run's environment, through the connection-creating wrapper. */
  private async pf(args: string[], env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<ProcessResult> {
    this.options.log?.debug(`pf ${args.join(' ')}`);
    const result = await runProcess(this.python.python, ['-c', PF_WITH_CONNECTIONS, ...args], {
      env,
      stdin: this.connectionsJson,
      cwd: this.home.dir,
      signal,
      killGraceMs: this.options.killGraceMs,
      onStderrLine: (line) => this.options.log?.debug(this.redact(line)),
    });
    if (!result.canceled && result.exitCode !== null && CONNECTION_EXIT_CODES.includes(result.exitCode)) {
      throw connectionFailure(result.exitCode, result.stderr, this.secretValues);
    }
    return result;
  }

  /** The `pf run create` arguments and environment for a request. */
  private async commandFor(request: PromptflowRunRequest, lineConcurrency: number | undefined) {
    const { flow } = request;
    if (!RUN_NAME.test(request.name)) {
      throw new ConfigurationError(`run name '${request.name}' must consist of letters, digits, '_', '-' and '.'`);
    }
    if (/^azureml:/i.test(request.data)) {
      throw new ConfigurationError(
        `run ${request.name}: data ${request.data} is an Azure ML asset; local runs need a local file`,
      );
    }

    const args = ['run', 'create', '--name', request.name, '--data', request.data];
    let flowPath = flow.path;
    if (flow.kind === 'dag' && Object.keys(request.variants).length > 0) {
      const selection = planVariantSelection(request.variants, flow.nodeVariants);
      if (selection.kind === 'single') args.push('--variant', selection.argument);
      if (selection.kind === 'materialize') {
        const target = path.join(this.home.dir, 'flows', request.name);
        flowPath = path.dirname(await materializeFlowVariants(flow.path, request.variants, target));
      }
    }
    args.push('--flow', flowPath);
    const mapping = Object.entries(request.columnMapping);
    if (mapping.length > 0) args.push('--column-mapping', ...mapping.map(([input, source]) => `${input}=${source}`));
    if (request.baseRun) args.push('--run', request.baseRun);

    // Plain values go into the environment (argv is visible to every local user); only
    // `${connection.key}` references need promptflow's --environment-variables to resolve them.
    const variables = Object.entries({ ...this.options.environmentVariables, ...request.environmentVariables });
    const references = variables.filter(([, value]) => CONNECTION_REFERENCE.test(value));
    if (references.length > 0)
      args.push('--environment-variables', ...references.map(([name, value]) => `${name}=${value}`));
    const env = this.processEnv(Object.fromEntries(variables.filter(([, value]) => !CONNECTION_REFERENCE.test(value))));
    if (lineConcurrency) env[PROMPTFLOW_ENV.workerCount] = String(lineConcurrency);

    const initFile = flow.kind === 'flex-class' ? await this.writeInit(request) : undefined;
    if (initFile) args.push('--init', initFile);
    return { args, env, cleanup: () => (initFile ? rm(initFile, { force: true }) : Promise.resolve()) };
  }

  /** Our verdict on a finished `pf run create`, from its printed run JSON and its run folder. */
  private async resultOf(name: string, result: ProcessResult, signal: AbortSignal): Promise<FlowRunResult> {
    const printed = parseRunJson(result.stdout);
    const runDir = printed?.properties?.output_path ?? path.join(this.home.runsDir, name);
    const contents = await readRunDirectory(runDir);
    const status = result.canceled ? 'Canceled' : runStatus(printed, result.exitCode);

    const firstFailedLine = contents.failedLines[0];
    let firstError: string | undefined;
    if (status === 'Canceled') {
      firstError = `canceled: ${reasonText(signal.reason)}`;
    } else if (firstFailedLine) {
      firstError = `line ${firstFailedLine.lineNumber}: ${firstFailedLine.error}`;
    } else if (status === 'Failed') {
      const reason = contents.runError ?? printed?.error?.message ?? cliFailure(result.stdout, result.stderr);
      firstError = (reason ?? `pf exited with code ${result.exitCode}`).replace(FIRST_ERROR_PREFIX, '');
    }

    const printedTokens = printed?.properties?.system_metrics;
    return {
      name,
      status,
      lines: contents.lines,
      firstError: firstError === undefined ? undefined : this.redact(firstError),
      failedLines: contents.failedLines.map((line) => ({ ...line, error: this.redact(line.error) })),
      // promptflow's own totals when it printed them; else the sum over the lines' records.
      tokens:
        printedTokens?.total_tokens !== undefined
          ? {
              total: printedTokens.total_tokens,
              prompt: printedTokens.prompt_tokens ?? 0,
              completion: printedTokens.completion_tokens ?? 0,
            }
          : contents.tokens,
      durationMs: result.durationMs,
      outputsPath: contents.outputsPath,
      runDir,
      metrics: contents.metrics,
    };
  }

  /** Stop runs still going and remove the keyring file; run folders stay for reports. */
  async close(): Promise<void> {
    this.closing.abort(new Error('executor closed'));
    await this.home.dispose();
  }

  /** The environment of every promptflow process: inherited, then ours over it. */
  private processEnv(variables: Record<string, string>): NodeJS.ProcessEnv {
    return { ...(this.options.env ?? process.env), ...variables, ...this.home.env };
  }

  private async writeInit(request: PromptflowRunRequest): Promise<string | undefined> {
    let init = request.init;
    if (!init && request.flow.init) {
      const resolved = await resolveFlexInit(request.flow, this.options.env ?? process.env);
      for (const value of resolved.secretValues) this.secretValues.add(value);
      init = resolved.values;
    }
    if (!init) return undefined;
    // promptflow reads `--init <file>` as JSON. The file is private and deleted after the run.
    const dir = path.join(this.home.dir, 'init');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${request.name}.json`);
    await writeFile(file, JSON.stringify(init), { mode: 0o600 });
    return file;
  }

  private redact(text: string): string {
    return redactSecrets(text, this.secretValues);
  }
}

function runStatus(printed: PrintedRun | undefined, exitCode: number | null): FlowRunResult['status'] {
  if (printed?.status === 'Completed' && exitCode === 0) return 'Completed';
  if (printed?.status === 'Canceled') return 'Canceled';
  // Failed, a status we do not know, or no run JSON at all (pf stopped before the run existed).
  return 'Failed';
}

/** Values of a connection to keep out of logs: what config resolution marked, plus the obvious. */
function connectionSecrets(connection: ConnectionSpec & { secretValues?: string[] }): string[] {
  const values = [...(connection.secretValues ?? []), ...Object.values(connection.secrets ?? {})];
  for (const [key, value] of Object.entries(connection.properties))
    if (/key|secret|token|password/i.test(key)) values.push(value);
  return values.filter(Boolean);
}

/**
 * Why `pf` stopped before a run existed (invalid flow, missing data file). The CLI prints
 * `pf.run.create failed with <Exception>: <message>` on stdout, the message often spanning lines
 * (a JSON dump of schema errors): kept whole on one line, bounded.
 */
function cliFailure(stdout: string, stderr: string): string | undefined {
  const failed = /^pf\.[\w.]+ failed with (.*)$/ms.exec(stdout);
  const text = failed ? failed[1]! : (lastMeaningfulLine(stderr) ?? lastMeaningfulLine(stdout));
  if (!text) return undefined;
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_ERROR_CHARS ? `${oneLine.slice(0, MAX_ERROR_CHARS)}...` : oneLine;
}

function lastMeaningfulLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .pop();
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason ?? 'aborted');
}
