import { randomBytes } from 'node:crypto';

/**
 * The smallest Microsoft Entra ID (and GitHub and Azure DevOps OIDC issuers) the REAL @azure/identity credentials
 * can sign in against, so a child process (a bundled action, the CLI) gets the emulator's ARM
 * token through MSAL's own client-credentials flow instead of a fake credential.
 *
 * What MSAL needs, read from @azure/msal-common's Authority: with `disableInstanceDiscovery`
 * (llmops sets it whenever AZURE_AUTHORITY_HOST is given) it skips the instance-discovery call to
 * login.microsoftonline.com, fetches `<authority>/<tenant>/v2.0/.well-known/openid-configuration`
 * (issuer on the same origin, or issuer validation fails), then POSTs the form to its
 * `token_endpoint` and needs `token_type`, `expires_in` and `access_token` back.
 *
 * Secrets never enter the request log: only which kind of client credential was presented and
 * whether it matched.
 */

export interface EntraTokenRequest {
  tenant: string;
  grantType: string | undefined;
  clientId: string | undefined;
  scope: string | undefined;
  /** Which client credential the request carried. */
  credential: 'secret' | 'assertion' | 'none';
  status: number;
}

export interface GitHubOidcRequest {
  audience: string | undefined;
  status: number;
}

/** A request to the Azure DevOps job's OIDC endpoint (SYSTEM_OIDCREQUESTURI). */
export interface AzureDevOpsOidcRequest {
  apiVersion: string | undefined;
  serviceConnectionId: string | undefined;
  status: number;
}

export interface EntraReply {
  status: number;
  body: unknown;
}

export class EntraEmulator {
  readonly tenantId = '00000000-0000-4000-8000-00000000a11d';
  readonly clientId = '00000000-0000-4000-8000-0000000c11e7';
  /** Canary values: tests assert they never reach a log, an output or a manifest. */
  readonly clientSecret = `canary-client-secret-${randomBytes(12).toString('hex')}`;
  /** What the GitHub OIDC endpoint hands out and the token endpoint accepts as a federated assertion. */
  readonly githubIdToken = `canary-github-oidc-${randomBytes(12).toString('hex')}`;
  /** The runner's ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly githubRequestToken = `canary-oidc-request-${randomBytes(12).toString('hex')}`;
  /** The id of the one AzureRM service connection the Azure DevOps stand-in knows. */
  readonly serviceConnectionId = 'a1b2c3d4-0000-4000-8000-00000000c0c0';
  /** The job's System.AccessToken, which the agent hands tasks as the SystemVssConnection endpoint. */
  readonly systemAccessToken = `canary-system-access-token-${randomBytes(12).toString('hex')}`;
  /** What the Azure DevOps OIDC endpoint issues for the service connection. */
  readonly azureDevOpsIdToken = `canary-ado-oidc-${randomBytes(12).toString('hex')}`;
  readonly tokenRequests: EntraTokenRequest[] = [];
  readonly githubOidcRequests: GitHubOidcRequest[] = [];
  readonly azureDevOpsOidcRequests: AzureDevOpsOidcRequest[] = [];

  constructor(
    private readonly accessToken: string,
    private readonly baseUrl: () => string,
  ) {}

  /** Environment for `auth: environment` (a service principal secret, as Jenkins exports it). */
  servicePrincipalEnv(): Record<string, string> {
    return {
      AZURE_AUTHORITY_HOST: this.baseUrl(),
      AZURE_TENANT_ID: this.tenantId,
      AZURE_CLIENT_ID: this.clientId,
      AZURE_CLIENT_SECRET: this.clientSecret,
    };
  }

  /** Environment a GitHub runner gives a job with `permissions: id-token: write`, plus the ids. */
  githubOidcEnv(): Record<string, string> {
    return {
      AZURE_AUTHORITY_HOST: this.baseUrl(),
      AZURE_TENANT_ID: this.tenantId,
      AZURE_CLIENT_ID: this.clientId,
      // @actions/core appends `&audience=...`, so the URL carries a query already, as the runner's does.
      ACTIONS_ID_TOKEN_REQUEST_URL: `${this.baseUrl()}/_github/oidc/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: this.githubRequestToken,
    };
  }

  /**
   * What the Azure DevOps agent sets for a task given an AzureRM service connection, exactly as
   * its Handler does (ENDPOINT_URL_<id>, ENDPOINT_AUTH_<id> as JSON plus the per-parameter
   * variables, ENDPOINT_DATA_<id>_<KEY>), pointing at this emulator: ARM at `armUrl`, the
   * authority here. `workload-identity` adds the job's OIDC endpoint and SystemVssConnection.
   */
  azureDevOpsServiceConnectionEnv(
    kind: 'workload-identity' | 'service-principal',
    armUrl: string,
    subscriptionId: string,
  ): Record<string, string> {
    const id = this.serviceConnectionId;
    const scheme = kind === 'workload-identity' ? 'WorkloadIdentityFederation' : 'ServicePrincipal';
    const parameters: Record<string, string> = {
      tenantid: this.tenantId,
      serviceprincipalid: this.clientId,
      ...(kind === 'service-principal' && { authenticationType: 'spnKey', serviceprincipalkey: this.clientSecret }),
    };
    const data: Record<string, string> = {
      environment: 'AzureCloud',
      scopeLevel: 'Subscription',
      subscriptionId,
      subscriptionName: 'llmops test subscription',
      environmentAuthorityUrl: `${this.baseUrl()}/`,
    };
    const env: Record<string, string> = {
      [`ENDPOINT_URL_${id}`]: `${armUrl}/`,
      [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ parameters, scheme }),
      [`ENDPOINT_AUTH_SCHEME_${id}`]: scheme,
      [`ENDPOINT_DATA_${id}`]: JSON.stringify(data),
    };
    for (const [key, value] of Object.entries(parameters)) env[`ENDPOINT_AUTH_PARAMETER_${id}_${key.toUpperCase()}`] = value;
    for (const [key, value] of Object.entries(data)) env[`ENDPOINT_DATA_${id}_${key.toUpperCase()}`] = value;
    if (kind === 'workload-identity') {
      const systemVss = { parameters: { AccessToken: this.systemAccessToken }, scheme: 'OAuth' };
      env.ENDPOINT_URL_SYSTEMVSSCONNECTION = `${this.baseUrl()}/_ado/`;
      env.ENDPOINT_AUTH_SYSTEMVSSCONNECTION = JSON.stringify(systemVss);
      env.ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION = 'OAuth';
      env.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN = this.systemAccessToken;
      env.SYSTEM_OIDCREQUESTURI = `${this.baseUrl()}/_ado/org/project/_apis/distributedtask/hubs/build/plans/plan/jobs/job/oidctoken`;
    }
    return env;
  }

  /** Undefined when the request is not for Entra or the OIDC issuer (then ARM handles it). */
  handle(method: string, url: URL, rawBody: string, authorization: string | undefined): EntraReply | undefined {
    const segments = url.pathname.split('/').filter(Boolean);
    if (segments[0] === '_github' && segments[1] === 'oidc' && segments[2] === 'token' && method === 'GET') {
      return this.githubOidc(url, authorization);
    }
    if (segments[0] === '_ado' && segments.at(-1) === 'oidctoken' && method === 'POST') {
      return this.azureDevOpsOidc(url, authorization);
    }
    const tenant = segments[0];
    if (!tenant) return undefined;
    const rest = segments.slice(1).join('/');
    if (method === 'GET' && rest === 'v2.0/.well-known/openid-configuration') return this.openIdConfiguration(tenant);
    if (method === 'POST' && rest === 'oauth2/v2.0/token') return this.token(tenant, rawBody);
    return undefined;
  }

  private openIdConfiguration(tenant: string): EntraReply {
    const authority = `${this.baseUrl()}/${tenant}`;
    return {
      status: 200,
      body: {
        issuer: `${authority}/v2.0`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        jwks_uri: `${authority}/discovery/v2.0/keys`,
        end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        tenant_region_scope: 'EU',
        cloud_instance_name: 'emulator.local',
      },
    };
  }

  private token(tenant: string, rawBody: string): EntraReply {
    const form = new URLSearchParams(rawBody);
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    const record: EntraTokenRequest = {
      tenant,
      grantType: form.get('grant_type') ?? undefined,
      clientId: form.get('client_id') ?? undefined,
      scope: form.get('scope') ?? undefined,
      credential: secret !== null ? 'secret' : assertion !== null ? 'assertion' : 'none',
      status: 0,
    };
    this.tokenRequests.push(record);
    const fail = (status: number, error: string, description: string): EntraReply => {
      record.status = status;
      return { status, body: { error, error_description: description, error_codes: [7000215] } };
    };
    if (tenant !== this.tenantId) return fail(400, 'invalid_request', `AADSTS90002: Tenant '${tenant}' not found.`);
    if (record.grantType !== 'client_credentials')
      return fail(400, 'unsupported_grant_type', 'AADSTS70003: only client_credentials is emulated.');
    if (record.clientId !== this.clientId)
      return fail(400, 'unauthorized_client', `AADSTS700016: Application '${record.clientId}' was not found.`);
    const valid =
      (secret !== null && secret === this.clientSecret) ||
      (assertion !== null && (assertion === this.githubIdToken || assertion === this.azureDevOpsIdToken));
    if (!valid) return fail(401, 'invalid_client', 'AADSTS7000215: Invalid client secret or assertion provided.');
    record.status = 200;
    return {
      status: 200,
      body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: this.accessToken },
    };
  }

  private githubOidc(url: URL, authorization: string | undefined): EntraReply {
    const record: GitHubOidcRequest = { audience: url.searchParams.get('audience') ?? undefined, status: 0 };
    this.githubOidcRequests.push(record);
    if (authorization !== `Bearer ${this.githubRequestToken}`) {
      record.status = 401;
      return { status: 401, body: { message: 'Bad credentials' } };
    }
    record.status = 200;
    return { status: 200, body: { value: this.githubIdToken } };
  }

  /**
   * The job's OIDC token endpoint, as the Azure DevOps REST API (7.1) answers it: POST with the
   * job's access token as bearer, the service connection in the query, `{ oidcToken }` back.
   */
  private azureDevOpsOidc(url: URL, authorization: string | undefined): EntraReply {
    const record: AzureDevOpsOidcRequest = {
      apiVersion: url.searchParams.get('api-version') ?? undefined,
      serviceConnectionId: url.searchParams.get('serviceConnectionId') ?? undefined,
      status: 0,
    };
    this.azureDevOpsOidcRequests.push(record);
    if (authorization !== `Bearer ${this.systemAccessToken}`) {
      record.status = 401;
      return { status: 401, body: { message: 'TF400813: The user is not authorized to access this resource.' } };
    }
    if (record.serviceConnectionId !== this.serviceConnectionId) {
      record.status = 404;
      return { status: 404, body: { message: `Service connection ${record.serviceConnectionId} not found.` } };
    }
    record.status = 200;
    return { status: 200, body: { oidcToken: this.azureDevOpsIdToken } };
  }
}
