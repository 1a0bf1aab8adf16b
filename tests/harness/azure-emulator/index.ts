import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { type ArmContext, handleArm, PROVIDER } from './arm.js';
import { type CallRecord, CallLog } from './calls.js';
import { createSelfSignedCertificate } from './cert.js';
import { canaryToken, FakeTokenCredential } from './credential.js';
import { EntraEmulator } from './entra.js';
import { Faults } from './faults.js';
import { type DatastoreSecrets, EmulatorState, type WorkspaceScope } from './state.js';

export { CallLog, type CallRecord, isWrite } from './calls.js';
export { canaryToken, FakeTokenCredential } from './credential.js';
export { Faults, type RequestMatch } from './faults.js';
export { EntraEmulator, type EntraTokenRequest, type GitHubOidcRequest } from './entra.js';
export { type ArmResource, type DatastoreSecrets, EmulatorState, type WorkspaceScope } from './state.js';
export { armClientOptions, createMlClient } from './client.js';

/** The api-version @azure/arm-machinelearning 2.1.1 sends. */
export const ML_API_VERSION = '2022-10-01';

export interface DefaultDatastoreOptions {
  /** The storage account; Azurite's is devstoreaccount1. */
  accountName?: string;
  containerName?: string;
  /** Storage DNS suffix, as the datastore stores it (core.windows.net). */
  endpoint?: string;
  protocol?: string;
  /** What listSecrets returns; undefined makes it an identity-based datastore (credentials None). */
  secrets?: DatastoreSecrets;
}

export interface AzureEmulatorOptions {
  subscriptionId?: string;
  resourceGroup?: string;
  workspaceName?: string;
  location?: string;
  /** The bearer token the emulator accepts; a fresh canary value by default. */
  token?: string;
  /** api-versions accepted; others get ARM's InvalidApiVersionParameter. */
  apiVersions?: string[];
  /** Items per list page before a nextLink. */
  pageSize?: number;
  /** InProgress polls every long-running operation reports before it ends (default 1). */
  lroInProgressPolls?: number;
  /** Retry-After seconds on 202s and InProgress polls (default 0, so tests do not sleep). */
  lroRetryAfterSeconds?: number;
  scoringUri?: (endpointName: string) => string;
  /** The workspace's default blob datastore `workspaceblobstore`; false for none. */
  defaultDatastore?: DefaultDatastoreOptions | false;
}

export interface AzureEmulator {
  /** https://127.0.0.1:<port> */
  url: string;
  port: number;
  /** The self-signed certificate to trust (tlsOptions.ca in-process, NODE_EXTRA_CA_CERTS for children). */
  caCertPem: string;
  caCertPath: string;
  /** The bearer token the emulator accepts; it must never appear in logs or manifests. */
  token: string;
  scope: WorkspaceScope;
  calls: CallLog;
  state: EmulatorState;
  faults: Faults;
  /**
   * A Microsoft Entra ID stand-in on the same origin (openid-configuration, client-credentials
   * token endpoint) and a GitHub OIDC issuer, for the real @azure/identity credentials in child
   * processes. Its requests are logged in `entra.tokenRequests`, not in `calls` (ARM only).
   */
  entra: EntraEmulator;
  /** A credential handing out the accepted token. */
  credential(): FakeTokenCredential;
  /** Environment for a child process that should trust the emulator. */
  childEnv(): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts an HTTPS Azure Resource Manager emulator for Azure Machine Learning on 127.0.0.1 and a
 * random port, with a certificate made for this run. Real @azure/arm-* clients talk to it with
 * their real pipeline (bearer token policy, retries, LRO pollers); see README.md.
 */
export async function startAzureEmulator(options: AzureEmulatorOptions = {}): Promise<AzureEmulator> {
  const scope: WorkspaceScope = {
    subscriptionId: options.subscriptionId ?? '00000000-0000-4000-8000-000000000001',
    resourceGroup: options.resourceGroup ?? 'rg-llmops-test',
    workspaceName: options.workspaceName ?? 'mlw-llmops-test',
    location: options.location ?? 'westeurope',
  };
  const token = options.token ?? canaryToken();
  const apiVersions = new Set(options.apiVersions ?? [ML_API_VERSION]);
  const state = new EmulatorState(scope);
  state.seedWorkspace();
  if (options.defaultDatastore !== false) seedDefaultDatastore(state, options.defaultDatastore ?? {});

  const calls = new CallLog();
  const faults = new Faults();
  const entra = new EntraEmulator(token, () => baseUrl);
  const certificate = createSelfSignedCertificate();
  const sockets = new Set<Socket>();
  let baseUrl = '';

  const context = (): ArmContext => ({
    state,
    faults,
    baseUrl,
    apiVersion: ML_API_VERSION,
    pageSize: options.pageSize ?? 100,
    lroInProgressPolls: options.lroInProgressPolls ?? 1,
    lroRetryAfterSeconds: options.lroRetryAfterSeconds ?? 0,
    scoringUri: options.scoringUri ?? ((name) => `https://${name}.${scope.location}.inference.ml.azure.com/score`),
  });

  const server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A bug in the emulator: say so loudly in the response rather than hang the client.
      if (!response.headersSent) {
        send(response, 500, { error: { code: 'EmulatorBug', message: String((error as Error)?.stack ?? error) } });
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const url = new URL(request.url ?? '/', baseUrl);
    const path = decodeURIComponent(url.pathname);
    const method = (request.method ?? 'GET').toUpperCase();
    const apiVersion = url.searchParams.get('api-version') ?? undefined;
    const authorization = request.headers.authorization;
    // Sign-in traffic is not ARM traffic: answered before the call log, the token check and the
    // faults, so ARM request counts and fault rules stay about ARM.
    const signIn = entra.handle(method, url, raw, authorization);
    if (signIn) {
      send(response, signIn.status, signIn.body);
      return;
    }
    const parsed = parseBody(raw);
    const call: CallRecord = {
      method,
      path,
      apiVersion,
      query: Object.fromEntries(url.searchParams),
      body: parsed.value,
      status: 0,
      auth: authorization === `Bearer ${token}` ? 'ok' : authorization ? 'wrong-token' : 'missing',
    };
    calls.entries.push(call);
    const reply = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      send(response, status, body, headers);
    };

    if (call.auth !== 'ok') {
      reply(
        401,
        {
          error: {
            code: call.auth === 'missing' ? 'AuthenticationFailed' : 'InvalidAuthenticationToken',
            message:
              call.auth === 'missing'
                ? "Authentication failed. The 'Authorization' header is missing."
                : 'The access token is invalid.',
          },
        },
        { 'WWW-Authenticate': 'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"' },
      );
      return;
    }

    const fault = faults.takeRequestFault(method, path);
    if (fault) {
      call.fault = fault.kind;
      switch (fault.kind) {
        case 'throttle':
          reply(
            429,
            { error: { code: 'TooManyRequests', message: 'The request was throttled (injected).' } },
            { 'Retry-After': String(fault.retryAfterSeconds) },
          );
          return;
        case 'server-error':
          reply(fault.status, { error: { code: 'InternalServerError', message: 'Injected server error.' } });
          return;
        case 'drop-connection':
          request.socket.destroy();
          return;
      }
    }

    const versions = url.searchParams.getAll('api-version');
    if (versions.length === 0) {
      reply(400, {
        error: { code: 'MissingApiVersionParameter', message: "The api-version query parameter (?api-version=) is required for all requests." },
      });
      return;
    }
    const unsupported = versions.find((version) => !apiVersions.has(version));
    if (unsupported) {
      reply(400, {
        error: {
          code: 'InvalidApiVersionParameter',
          message: `The api-version '${unsupported}' is invalid. The supported versions are '${[...apiVersions].join(',')}'.`,
        },
      });
      return;
    }
    if (!parsed.json) {
      reply(400, { error: { code: 'InvalidRequestContent', message: 'The request content was invalid and could not be deserialized.' } });
      return;
    }

    const result = handleArm(
      { method, segments: path.split('/').filter(Boolean), query: url.searchParams, body: call.body },
      context(),
    );
    reply(result.status, result.body, result.headers);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `https://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    port,
    caCertPem: certificate.certPem,
    caCertPath: certificate.certPath,
    token,
    scope,
    calls,
    state,
    faults,
    entra,
    credential: () => new FakeTokenCredential(token),
    childEnv: () => ({ NODE_EXTRA_CA_CERTS: certificate.certPath }),
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      certificate.dispose();
    },
  };
}

function seedDefaultDatastore(state: EmulatorState, options: DefaultDatastoreOptions): void {
  const id = state.id('datastores', 'workspaceblobstore');
  const secrets: DatastoreSecrets | undefined =
    'secrets' in options ? options.secrets : { secretsType: 'AccountKey', key: randomBytes(64).toString('base64') };
  state.put({
    id,
    name: 'workspaceblobstore',
    type: `${PROVIDER}/workspaces/datastores`,
    properties: {
      datastoreType: 'AzureBlob',
      accountName: options.accountName ?? 'devstoreaccount1',
      containerName: options.containerName ?? `azureml-blobstore-${randomBytes(8).toString('hex')}`,
      endpoint: options.endpoint ?? 'core.windows.net',
      protocol: options.protocol ?? 'https',
      serviceDataAccessAuthIdentity: 'WorkspaceSystemAssignedIdentity',
      credentials: { credentialsType: secrets ? secrets.secretsType : 'None' },
      isDefault: true,
      description: '',
      properties: {},
      tags: {},
    },
  });
  state.setDatastoreSecrets(id, secrets);
}

/** The JSON body, or the raw text (json: false) when it does not parse. */
function parseBody(raw: string): { value: unknown; json: boolean } {
  if (raw === '') return { value: undefined, json: true };
  try {
    return { value: JSON.parse(raw), json: true };
  } catch {
    return { value: raw, json: false };
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    'Content-Length': Buffer.byteLength(text),
    'x-ms-request-id': randomBytes(8).toString('hex'),
    ...headers,
  });
  response.end(text);
}
