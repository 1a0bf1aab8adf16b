// Must stay the first import: it reads the inputs before the task-lib hides them.
import { readInput } from './input-snapshot.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task.js';
import {
  azurePipelinesInputName,
  cancellationOnSignals,
  runStage,
  type AzureServiceConnection,
  type Host,
  type Logger,
  type SourceLocation,
  type StageSpec,
} from '@llmops/core';

function logIssue(type: tl.IssueType, message: string, location?: SourceLocation): void {
  tl.logIssue(type, message, location?.file, location?.line, location?.column);
}

const logger: Logger = {
  info: (message) => console.log(message),
  debug: (message) => tl.debug(message),
  warning: (message, location) => logIssue(tl.IssueType.Warning, message, location),
  error: (message, location) => logIssue(tl.IssueType.Error, message, location),
  async group(title, fn) {
    console.log(`##[group]${title}`);
    try {
      return await fn();
    } finally {
      console.log('##[endgroup]');
    }
  },
};

export class AzurePipelinesHost implements Host {
  readonly kind = 'azure-pipelines' as const;
  readonly log = logger;
  readonly workingDirectory = process.cwd();
  readonly env = process.env;
  readonly signal = cancellationOnSignals();
  private summaryCount = 0;

  getInput(name: string): string | undefined {
    return readInput(azurePipelinesInputName(name));
  }

  /** Output variables follow the input naming: `endpoint-url` is `$(step.endpointUrl)`. */
  setOutput(name: string, value: string, options?: { secret?: boolean }): void {
    tl.setVariable(azurePipelinesInputName(name), value, options?.secret ?? false, true);
  }

  async appendSummary(markdown: string): Promise<void> {
    // Each upload becomes a section of the build's Extensions tab; the agent reads the file
    // when it handles the command, so every section gets a file of its own.
    const folder = tl.getVariable('Agent.TempDirectory') ?? os.tmpdir();
    const file = path.join(folder, `llmops-summary-${process.pid}-${++this.summaryCount}.md`);
    await fs.promises.writeFile(file, markdown);
    tl.uploadSummary(file);
  }

  private readonly masked = new Set<string>();

  setSecret(value: string): void {
    // Once is enough for the agent; a value found twice (a key listed, then output) is told once.
    if (!value || this.masked.has(value)) return;
    this.masked.add(value);
    tl.setSecret(value);
  }

  /**
   * The connection as the agent passes it (ENDPOINT_AUTH_<id> and friends), read through the
   * task-lib. Authorization parameters are read as one object, not with
   * getEndpointAuthorizationParameter, which writes each value to the debug log.
   */
  azureServiceConnection(id: string): AzureServiceConnection | undefined {
    const authorization = tl.getEndpointAuthorization(id, true);
    if (!authorization?.scheme) return undefined;
    // Parameter names are spelled as each connection type declares them (tenantid, authenticationType ...).
    const parameter = caseInsensitive(authorization.parameters);
    const systemVss = tl.getEndpointAuthorization('SystemVssConnection', true);
    const connection: AzureServiceConnection = {
      id,
      scheme: authorization.scheme,
      tenantId: parameter('tenantid'),
      clientId: parameter('serviceprincipalid'),
      ...(parameter('authenticationType')?.toLowerCase() === 'spncertificate'
        ? { certificatePem: parameter('servicePrincipalCertificate') }
        : { clientSecret: parameter('serviceprincipalkey') }),
      subscriptionId: tl.getEndpointDataParameter(id, 'subscriptionId', true) || undefined,
      armEndpoint: tl.getEndpointUrl(id, true) || undefined,
      authorityHost: tl.getEndpointDataParameter(id, 'environmentAuthorityUrl', true) || undefined,
      systemAccessToken: systemVss ? caseInsensitive(systemVss.parameters)('AccessToken') : undefined,
    };
    for (const secret of [connection.clientSecret, connection.systemAccessToken]) if (secret) this.setSecret(secret);
    if (connection.certificatePem) {
      // Masking works line by line: the PEM's base64 lines are registered one by one too.
      this.setSecret(connection.certificatePem);
      for (const line of connection.certificatePem.split(/\r?\n/)) if (line.length >= 16 && !line.startsWith('-----')) this.setSecret(line);
    }
    return connection;
  }
}

function caseInsensitive(values: Record<string, string> | undefined): (name: string) => string | undefined {
  const byLowerName = new Map(Object.entries(values ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return (name) => byLowerName.get(name.toLowerCase()) || undefined;
}

/** The whole body of a task's entry: run the stage, report the task result. */
export async function runTask(stage: StageSpec<any, any>): Promise<void> {
  const exitCode = await runStage(stage, new AzurePipelinesHost());
  // The error itself was already logged as an issue (with file and line); an empty message
  // here keeps it from being logged twice.
  if (exitCode === 0) tl.setResult(tl.TaskResult.Succeeded, '');
  else tl.setResult(tl.TaskResult.Failed, '');
  process.exitCode = exitCode;
}
