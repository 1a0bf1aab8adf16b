import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import {
  AzureCliCredential,
  AzurePipelinesCredential,
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from '@azure/identity';
import { ConfigurationError } from '../errors.js';
import type { AzureServiceConnection } from '../host.js';

/**
 * Sign-in to Azure for every stage and every runner, decided in one place.
 *
 * The runner adapters gather what they know (GitHub's OIDC token function, the Azure DevOps
 * service connection's ids, Jenkins' AZURE_* variables) and this module picks one credential
 * from it. Choosing explicitly, rather than handing everything to DefaultAzureCredential, lets
 * the log say which identity a deployment used and lets a misconfigured `auth:` fail in one
 * line before any Azure call.
 */

export const AZURE_AUTH_METHODS = [
  'auto',
  'github-oidc',
  'azure-pipelines',
  'service-principal',
  'environment',
  'azure-cli',
  'managed-identity',
] as const;

export type AzureAuth = (typeof AZURE_AUTH_METHODS)[number];
export type AzureAuthMethod = Exclude<AzureAuth, 'auto'>;

// How missing ids are named in errors: the input, and the variable that can stand in for it.
const CLIENT_ID = 'client-id (or AZURE_CLIENT_ID)';
const TENANT_ID = 'tenant-id (or AZURE_TENANT_ID)';

/** The audience Microsoft Entra expects on a federated (OIDC) client assertion. */
export const AZURE_AD_TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export interface AzureCredentialOptions {
  auth: AzureAuth;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Azure DevOps: id of the AzureRM service connection (workload identity federation). */
  serviceConnectionId?: string;
  /**
   * Azure DevOps: the service connection itself, as the agent handed it to the task
   * (Host.azureServiceConnection). When present it decides the identity: its scheme, tenant,
   * client and secret, not the tenant-id / client-id inputs.
   */
  serviceConnection?: AzureServiceConnection;
  /** Azure DevOps: $(System.AccessToken); falls back to SYSTEM_ACCESSTOKEN in `env`. */
  systemAccessToken?: string;
  /** GitHub Actions: the host's OIDC token function (Host.getIdToken). */
  getIdToken?: (audience: string) => Promise<string>;
  /**
   * The environment to read AZURE_*, ACTIONS_ID_TOKEN_REQUEST_URL, SYSTEM_ACCESSTOKEN and PATH
   * from. Passed in (not read from process.env here) so hosts and tests decide what is visible.
   */
  env: NodeJS.ProcessEnv;
  log?: { info(message: string): void };
}

export interface ChosenCredential {
  credential: TokenCredential;
  method: AzureAuthMethod;
}

/** Why one method can or cannot be used: a credential factory, or the missing parameters. */
type Candidate =
  | { ok: true; make: () => TokenCredential; detail: string }
  | { ok: false; missing: string[] };

export function createAzureCredential(options: AzureCredentialOptions): ChosenCredential {
  const inputs = resolveInputs(options);

  // A service connection the pipeline named is the identity it asked for: with one, `auto`
  // means that connection or a clear error, never a quiet fall back to some other identity.
  const requested = options.auth === 'auto' && inputs.serviceConnection ? 'azure-pipelines' : options.auth;
  if (requested !== 'auto') {
    const candidate = CANDIDATES[requested](inputs);
    if (!candidate.ok) {
      throw new ConfigurationError(`auth '${requested}' needs ${candidate.missing.join(', ')}`);
    }
    return choose(requested, candidate, options.auth === 'auto' ? 'auto' : 'requested', options.log);
  }

  for (const method of AUTO_ORDER) {
    const candidate = CANDIDATES[method](inputs);
    if (candidate.ok) return choose(method, candidate, 'auto', options.log);
  }
  // Managed identity is always a candidate, so the loop returns; this keeps the types honest.
  throw new Error('no Azure credential candidate matched');
}

/** What `auto` tries, strongest evidence first; managed identity needs none and comes last. */
const AUTO_ORDER: readonly AzureAuthMethod[] = [
  'github-oidc',
  'azure-pipelines',
  'service-principal',
  'environment',
  'azure-cli',
  'managed-identity',
];

interface ResolvedInputs {
  authority: AuthorityOptions;
  serviceConnection?: AzureServiceConnection;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  serviceConnectionId?: string;
  systemAccessToken?: string;
  getIdToken?: (audience: string) => Promise<string>;
  env: NodeJS.ProcessEnv;
}

function resolveInputs(options: AzureCredentialOptions): ResolvedInputs {
  const env = options.env;
  return {
    authority: authorityOptions(env, options.serviceConnection?.authorityHost),
    serviceConnection: options.serviceConnection,
    // The conventional variables fill gaps, so `client-id` need not be repeated when a runner
    // (or the Jenkins credentials binding) already exports AZURE_CLIENT_ID.
    tenantId: nonEmpty(options.tenantId) ?? nonEmpty(env.AZURE_TENANT_ID),
    clientId: nonEmpty(options.clientId) ?? nonEmpty(env.AZURE_CLIENT_ID),
    clientSecret: nonEmpty(options.clientSecret),
    serviceConnectionId: nonEmpty(options.serviceConnectionId),
    systemAccessToken: nonEmpty(options.systemAccessToken) ?? nonEmpty(env.SYSTEM_ACCESSTOKEN),
    getIdToken: options.getIdToken,
    env,
  };
}

const CANDIDATES: Record<AzureAuthMethod, (inputs: ResolvedInputs) => Candidate> = {
  'github-oidc': (inputs) => {
    const { tenantId, clientId, getIdToken, env, authority } = inputs;
    const missing = missingOf({
      [CLIENT_ID]: clientId,
      [TENANT_ID]: tenantId,
      // The runner sets this only when the job has `permissions: id-token: write`.
      'an OIDC token (GitHub Actions with permissions id-token: write)':
        getIdToken && nonEmpty(env.ACTIONS_ID_TOKEN_REQUEST_URL),
    });
    if (missing.length > 0 || !getIdToken) return { ok: false, missing };
    return {
      ok: true,
      detail: `federated GitHub OIDC token for client ${clientId}`,
      // Asked for on every token refresh: GitHub's OIDC tokens live minutes, longer jobs need new ones.
      make: () =>
        new ClientAssertionCredential(tenantId!, clientId!, () => getIdToken(AZURE_AD_TOKEN_EXCHANGE_AUDIENCE), ...withAuthority(authority)),
    };
  },

  'azure-pipelines': (inputs) => {
    if (inputs.serviceConnection) return serviceConnectionCandidate(inputs.serviceConnection, inputs);
    // No connection from the agent (the CLI, or a script step): the ids must come as inputs.
    const { tenantId, clientId, serviceConnectionId, systemAccessToken, authority } = inputs;
    const missing = missingOf({
      'the service connection id': serviceConnectionId,
      [CLIENT_ID]: clientId,
      [TENANT_ID]: tenantId,
      'System.AccessToken (SYSTEM_ACCESSTOKEN)': systemAccessToken,
    });
    if (missing.length > 0) return { ok: false, missing };
    return {
      ok: true,
      detail: `workload identity federation of service connection ${serviceConnectionId}`,
      // The credential reads SYSTEM_OIDCREQUESTURI from process.env itself when it fetches a token;
      // the agent sets it for every task.
      make: () => new AzurePipelinesCredential(tenantId!, clientId!, serviceConnectionId!, systemAccessToken!, ...withAuthority(authority)),
    };
  },

  'service-principal': (inputs) => {
    const { tenantId, clientId, clientSecret, authority } = inputs;
    const missing = missingOf({ [CLIENT_ID]: clientId, [TENANT_ID]: tenantId, 'client-secret': clientSecret });
    if (missing.length > 0) return { ok: false, missing };
    return {
      ok: true,
      detail: `client secret of service principal ${clientId}`,
      make: () => new ClientSecretCredential(tenantId!, clientId!, clientSecret!, ...withAuthority(authority)),
    };
  },

  environment: (inputs) => environmentCandidate(inputs.env),

  'azure-cli': (inputs) => {
    // Whether `az` is signed in is only known by running it; being installed is the cheap,
    // synchronous hint that separates a laptop or self-hosted agent from a bare Azure VM.
    if (!onPath('az', inputs.env)) return { ok: false, missing: ['the Azure CLI (az) on PATH'] };
    return { ok: true, detail: 'the signed-in Azure CLI account', make: () => new AzureCliCredential() };
  },

  'managed-identity': (inputs) => {
    const { clientId } = inputs;
    return {
      ok: true,
      detail: clientId ? `user-assigned identity ${clientId}` : 'system-assigned identity',
      make: () => (clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential()),
    };
  },
};

/**
 * Sign in as an Azure DevOps AzureRM service connection, the way Microsoft's own Azure tasks do
 * for each of its schemes. The connection's ids are authoritative: a federated credential is
 * bound to exactly its app registration.
 */
function serviceConnectionCandidate(connection: AzureServiceConnection, inputs: ResolvedInputs): Candidate {
  const { authority, env } = inputs;
  const { id, tenantId, clientId } = connection;
  const ids = { "the connection's tenantid": tenantId, "the connection's serviceprincipalid": clientId };
  switch (connection.scheme.toLowerCase()) {
    case 'workloadidentityfederation': {
      // The agent hands every task System.AccessToken as its SystemVssConnection endpoint; a
      // pipeline may also map it to SYSTEM_ACCESSTOKEN itself.
      const systemAccessToken = connection.systemAccessToken ?? inputs.systemAccessToken;
      const missing = missingOf({
        ...ids,
        'System.AccessToken (the SystemVssConnection endpoint, or SYSTEM_ACCESSTOKEN)': systemAccessToken,
        // AzurePipelinesCredential reads it from process.env when it asks for the OIDC token.
        'SYSTEM_OIDCREQUESTURI (set by the agent)': nonEmpty(env.SYSTEM_OIDCREQUESTURI),
      });
      if (missing.length > 0) return { ok: false, missing };
      return {
        ok: true,
        detail: `workload identity federation of service connection ${id} (client ${clientId})`,
        make: () => new AzurePipelinesCredential(tenantId!, clientId!, id, systemAccessToken!, ...withAuthority(authority)),
      };
    }
    case 'serviceprincipal': {
      const { clientSecret, certificatePem } = connection;
      const missing = missingOf({ ...ids, "the connection's serviceprincipalkey or servicePrincipalCertificate": clientSecret ?? certificatePem });
      if (missing.length > 0) return { ok: false, missing };
      if (certificatePem) {
        return {
          ok: true,
          detail: `certificate of service connection ${id} (client ${clientId})`,
          make: () => new ClientCertificateCredential(tenantId!, clientId!, { certificate: certificatePem }, ...withAuthority(authority)),
        };
      }
      return {
        ok: true,
        detail: `client secret of service connection ${id} (client ${clientId})`,
        make: () => new ClientSecretCredential(tenantId!, clientId!, clientSecret!, ...withAuthority(authority)),
      };
    }
    case 'managedserviceidentity':
      // The agent's VM identity; the connection carries no client id for it.
      return {
        ok: true,
        detail: `managed identity of the agent, through service connection ${id}`,
        make: () => new ManagedIdentityCredential(),
      };
    default:
      throw new ConfigurationError(
        `service connection ${id} uses the ${connection.scheme} scheme; llmops signs in with WorkloadIdentityFederation, ServicePrincipal or ManagedServiceIdentity connections`,
      );
  }
}

/**
 * AZURE_* variables as the Jenkins azure-credentials binding, AKS workload identity or a
 * developer's shell set them. Built from `env` directly rather than through EnvironmentCredential,
 * which reads process.env and would ignore the environment the host handed us.
 */
function environmentCandidate(env: NodeJS.ProcessEnv): Candidate {
  const tenantId = nonEmpty(env.AZURE_TENANT_ID);
  const clientId = nonEmpty(env.AZURE_CLIENT_ID);
  const secret = nonEmpty(env.AZURE_CLIENT_SECRET);
  const certificatePath = nonEmpty(env.AZURE_CLIENT_CERTIFICATE_PATH);
  const tokenFile = nonEmpty(env.AZURE_FEDERATED_TOKEN_FILE);
  const authority = authorityOptions(env);

  const missing = missingOf({
    AZURE_CLIENT_ID: clientId,
    AZURE_TENANT_ID: tenantId,
    'AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE':
      secret ?? certificatePath ?? tokenFile,
  });
  if (missing.length > 0) return { ok: false, missing };

  if (secret) {
    return {
      ok: true,
      detail: `AZURE_CLIENT_SECRET of client ${clientId}`,
      make: () => new ClientSecretCredential(tenantId!, clientId!, secret, ...withAuthority(authority)),
    };
  }
  if (certificatePath) {
    const certificatePassword = nonEmpty(env.AZURE_CLIENT_CERTIFICATE_PASSWORD);
    return {
      ok: true,
      detail: `AZURE_CLIENT_CERTIFICATE_PATH of client ${clientId}`,
      make: () =>
        new ClientCertificateCredential(tenantId!, clientId!, {
          certificatePath,
          ...(certificatePassword ? { certificatePassword } : {}),
        }, ...withAuthority(authority)),
    };
  }
  return {
    ok: true,
    detail: `AZURE_FEDERATED_TOKEN_FILE of client ${clientId}`,
    make: () => new WorkloadIdentityCredential({ ...authority, tenantId: tenantId!, clientId: clientId!, tokenFilePath: tokenFile! }),
  };
}

/** Where Microsoft Entra is, for the credentials that talk to it directly. */
interface AuthorityOptions {
  authorityHost?: string;
  disableInstanceDiscovery?: boolean;
}

/**
 * AZURE_AUTHORITY_HOST, the variable @azure/identity itself documents, names the Entra authority
 * of a sovereign, private or test cloud. It is read from `env` like everything else here (the
 * library would read process.env); failing that, an Azure DevOps service connection's own
 * authority (environmentAuthorityUrl). An authority named explicitly is trusted as configured:
 * instance discovery, which asks login.microsoftonline.com to vouch for it, is skipped, because
 * Azure Stack, air-gapped clouds and loopback test servers cannot be vouched for that way.
 */
function authorityOptions(env: NodeJS.ProcessEnv, connectionAuthority?: string): AuthorityOptions {
  const authorityHost = nonEmpty(env.AZURE_AUTHORITY_HOST) ?? otherThanPublicCloud(connectionAuthority);
  return authorityHost ? { authorityHost, disableInstanceDiscovery: true } : {};
}

/** Public-cloud connections name login.windows.net: the library's default, discovery and all. */
const PUBLIC_AUTHORITY_HOSTS = new Set(['login.microsoftonline.com', 'login.windows.net']);

function otherThanPublicCloud(authority: string | undefined): string | undefined {
  const value = nonEmpty(authority);
  if (!value) return undefined;
  try {
    return PUBLIC_AUTHORITY_HOSTS.has(new URL(value).hostname.toLowerCase()) ? undefined : value;
  } catch {
    throw new ConfigurationError(`the service connection's environmentAuthorityUrl '${value}' is not a URL`);
  }
}

/** The trailing options argument, present only when there is something to say (public cloud: none). */
function withAuthority(authority: AuthorityOptions): [] | [AuthorityOptions] {
  return authority.authorityHost ? [authority] : [];
}

function choose(
  method: AzureAuthMethod,
  candidate: Extract<Candidate, { ok: true }>,
  how: 'auto' | 'requested',
  log: AzureCredentialOptions['log'],
): ChosenCredential {
  const credential = candidate.make();
  // Ids and paths only: every detail string is built from non-secret values.
  log?.info(`Azure sign-in: ${method} (${how}), using ${candidate.detail}`);
  return { credential, method };
}

/** The names whose values are missing, in the order given. Values are never part of the result. */
function missingOf(required: Record<string, unknown>): string[] {
  return Object.entries(required)
    .filter(([, value]) => !value)
    .map(([name]) => name);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  const dirs = (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean);
  const names = process.platform === 'win32' ? [`${command}.cmd`, `${command}.exe`] : [command];
  return dirs.some((dir) => names.some((name) => existsSync(join(dir, name))));
}
