import type { SourceLocation } from './errors.js';

/**
 * Everything a stage may ask of the CI runner it runs in. The core sees only this; each runner
 * (GitHub Actions, Azure Pipelines, a terminal) is one small adapter.
 */
export interface Logger {
  info(message: string): void;
  debug(message: string): void;
  /** A warning, shown as an annotation at `location` where the runner supports it. */
  warning(message: string, location?: SourceLocation): void;
  /** An error annotation; it does not by itself fail the stage. */
  error(message: string, location?: SourceLocation): void;
  /** A collapsible group of log lines around `fn`. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

export type HostKind = 'github' | 'azure-pipelines' | 'cli';

export interface Host {
  readonly kind: HostKind;
  readonly log: Logger;
  /** The raw value of an input as the runner delivers it; undefined or '' when not given. */
  getInput(name: string): string | undefined;
  /**
   * Outputs are strings on every runner; structured values arrive here already as JSON. A secret
   * output has been registered with setSecret before.
   */
  setOutput(name: string, value: string, options?: { secret?: boolean }): void;
  /** Append markdown to the run's summary page (GITHUB_STEP_SUMMARY, ADO uploadSummary, a file). */
  appendSummary(markdown: string): Promise<void>;
  /** Hide a secret value from every later log line. Call before the value is first used. */
  setSecret(value: string): void;
  /** An OIDC token for `audience`, where the runner issues one (GitHub Actions). */
  getIdToken?(audience: string): Promise<string>;
  /**
   * An Azure Resource Manager service connection the runner handed the step (Azure DevOps), by
   * the id the connection input resolved to; undefined when the runner gave none by that id.
   * Its secrets are masked before this returns.
   */
  azureServiceConnection?(id: string): AzureServiceConnection | undefined;
  /** Working directory relative paths resolve against. */
  readonly workingDirectory: string;
  readonly env: NodeJS.ProcessEnv;
  /** Cancelled when the runner cancels the job (SIGINT/SIGTERM). */
  readonly signal: AbortSignal;
}

/**
 * An Azure DevOps AzureRM service connection as the agent passes it to a task (ENDPOINT_AUTH_*,
 * ENDPOINT_DATA_*, ENDPOINT_URL_*): everything a sign-in and the ARM client need, so a pipeline
 * names the connection and nothing else.
 */
export interface AzureServiceConnection {
  id: string;
  /** WorkloadIdentityFederation, ServicePrincipal or ManagedServiceIdentity (others are refused). */
  scheme: string;
  tenantId?: string;
  /** The app registration (serviceprincipalid) or, for ManagedServiceIdentity, nothing. */
  clientId?: string;
  /** ServicePrincipal with authenticationType spnKey. Secret. */
  clientSecret?: string;
  /** ServicePrincipal with authenticationType spnCertificate: the PEM (key and certificate). Secret. */
  certificatePem?: string;
  subscriptionId?: string;
  /** The connection's Azure Resource Manager URL (another cloud than the public one, or Azure Stack). */
  armEndpoint?: string;
  /** The connection's Microsoft Entra authority (environmentAuthorityUrl). */
  authorityHost?: string;
  /**
   * The job's System.AccessToken, which the agent hands every task as the SystemVssConnection
   * endpoint; workload identity federation presents it to get the connection's OIDC token. Secret.
   */
  systemAccessToken?: string;
}
