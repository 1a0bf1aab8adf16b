import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

/**
 * The real credential classes would reach out to Entra, the Azure CLI or IMDS; these fakes only
 * record how they were built, which is everything the factory decides.
 */
const built: { kind: string; args: unknown[] }[] = [];
vi.mock('@azure/identity', () => {
  const fake = (kind: string) =>
    class {
      readonly kind = kind;
      readonly args: unknown[];
      constructor(...args: unknown[]) {
        this.args = args;
        built.push({ kind, args });
      }
      async getToken() {
        return null;
      }
    };
  return {
    AzureCliCredential: fake('AzureCliCredential'),
    AzurePipelinesCredential: fake('AzurePipelinesCredential'),
    ClientAssertionCredential: fake('ClientAssertionCredential'),
    ClientCertificateCredential: fake('ClientCertificateCredential'),
    ClientSecretCredential: fake('ClientSecretCredential'),
    ManagedIdentityCredential: fake('ManagedIdentityCredential'),
    WorkloadIdentityCredential: fake('WorkloadIdentityCredential'),
  };
});

const { createAzureCredential, AZURE_AD_TOKEN_EXCHANGE_AUDIENCE } = await import(
  '../../packages/core/src/azure/credentials.js'
);
const { ConfigurationError } = await import('../../packages/core/src/errors.js');

const SECRET = 'canary-client-secret-5b1e';
const ACCESS_TOKEN = 'canary-system-access-token-77aa';
const TENANT = '00000000-0000-0000-0000-00000000aaaa';
const CLIENT = '11111111-1111-1111-1111-11111111bbbb';

// A PATH with a fake `az` in it, and one without.
const binDir = mkdtempSync(join(tmpdir(), 'llmops-az-'));
writeFileSync(join(binDir, 'az'), '#!/bin/sh\nexit 1\n');
chmodSync(join(binDir, 'az'), 0o755);
const emptyDir = mkdtempSync(join(tmpdir(), 'llmops-noaz-'));
afterAll(() => {
  rmSync(binDir, { recursive: true, force: true });
  rmSync(emptyDir, { recursive: true, force: true });
});

const githubEnv = { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.actions.example/', PATH: emptyDir };

function lastBuilt() {
  const last = built.at(-1);
  if (!last) throw new Error('no credential was built');
  return last;
}

function capture() {
  const lines: string[] = [];
  return { lines, log: { info: (line: string) => lines.push(line) } };
}

beforeEach(() => {
  built.length = 0;
});

describe('createAzureCredential, auto', () => {
  it('prefers GitHub OIDC and asks for the token exchange audience on every assertion', async () => {
    const audiences: string[] = [];
    const getIdToken = vi.fn(async (audience: string) => {
      audiences.push(audience);
      return 'oidc-jwt';
    });
    const { method } = createAzureCredential({
      auth: 'auto',
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: SECRET, // present too, but OIDC wins
      getIdToken,
      env: githubEnv,
    });
    expect(method).toBe('github-oidc');
    const { kind, args } = lastBuilt();
    expect(kind).toBe('ClientAssertionCredential');
    expect(args.slice(0, 2)).toEqual([TENANT, CLIENT]);
    const getAssertion = args[2] as () => Promise<string>;
    expect(getIdToken).not.toHaveBeenCalled(); // lazily, at token time
    await expect(getAssertion()).resolves.toBe('oidc-jwt');
    await getAssertion();
    expect(audiences).toEqual([AZURE_AD_TOKEN_EXCHANGE_AUDIENCE, AZURE_AD_TOKEN_EXCHANGE_AUDIENCE]);
    expect(AZURE_AD_TOKEN_EXCHANGE_AUDIENCE).toBe('api://AzureADTokenExchange');
  });

  it('skips OIDC when the job has no id-token permission (no ACTIONS_ID_TOKEN_REQUEST_URL)', () => {
    const { method } = createAzureCredential({
      auth: 'auto',
      getIdToken: async () => 'x',
      env: { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: SECRET, PATH: emptyDir },
    });
    expect(method).toBe('environment');
    expect(lastBuilt()).toEqual({ kind: 'ClientSecretCredential', args: [TENANT, CLIENT, SECRET] });
  });

  it('takes client and tenant ids for OIDC from AZURE_CLIENT_ID / AZURE_TENANT_ID', () => {
    const { method } = createAzureCredential({
      auth: 'auto',
      getIdToken: async () => 'x',
      env: { ...githubEnv, AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT },
    });
    expect(method).toBe('github-oidc');
    expect(lastBuilt().args.slice(0, 2)).toEqual([TENANT, CLIENT]);
  });

  it('uses the Azure DevOps service connection with workload identity federation', () => {
    const { method } = createAzureCredential({
      auth: 'auto',
      tenantId: TENANT,
      clientId: CLIENT,
      serviceConnectionId: 'sc-42',
      env: { SYSTEM_ACCESSTOKEN: ACCESS_TOKEN, PATH: binDir },
    });
    expect(method).toBe('azure-pipelines');
    expect(lastBuilt()).toEqual({ kind: 'AzurePipelinesCredential', args: [TENANT, CLIENT, 'sc-42', ACCESS_TOKEN] });
  });

  it('uses a service principal secret handed over by the host', () => {
    const { method } = createAzureCredential({
      auth: 'auto',
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: SECRET,
      env: { PATH: binDir },
    });
    expect(method).toBe('service-principal');
    expect(lastBuilt()).toEqual({ kind: 'ClientSecretCredential', args: [TENANT, CLIENT, SECRET] });
  });

  it('reads the env it is given, not process.env (Jenkins azure-credentials binding)', () => {
    vi.stubEnv('AZURE_CLIENT_SECRET', 'from-process-env');
    try {
      const { method } = createAzureCredential({
        auth: 'auto',
        env: { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: SECRET, PATH: emptyDir },
      });
      expect(method).toBe('environment');
      expect(lastBuilt().args).toEqual([TENANT, CLIENT, SECRET]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('uses a certificate from AZURE_CLIENT_CERTIFICATE_PATH', () => {
    createAzureCredential({
      auth: 'auto',
      env: {
        AZURE_TENANT_ID: TENANT,
        AZURE_CLIENT_ID: CLIENT,
        AZURE_CLIENT_CERTIFICATE_PATH: '/certs/sp.pem',
        PATH: emptyDir,
      },
    });
    expect(lastBuilt()).toEqual({
      kind: 'ClientCertificateCredential',
      args: [TENANT, CLIENT, { certificatePath: '/certs/sp.pem' }],
    });
  });

  it('uses workload identity for AZURE_FEDERATED_TOKEN_FILE', () => {
    const { method } = createAzureCredential({
      auth: 'auto',
      env: {
        AZURE_TENANT_ID: TENANT,
        AZURE_CLIENT_ID: CLIENT,
        AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token',
        PATH: emptyDir,
      },
    });
    expect(method).toBe('environment');
    expect(lastBuilt()).toEqual({
      kind: 'WorkloadIdentityCredential',
      args: [{ tenantId: TENANT, clientId: CLIENT, tokenFilePath: '/var/run/secrets/azure/tokens/azure-identity-token' }],
    });
  });

  it('falls back to the Azure CLI when az is on PATH', () => {
    const { method } = createAzureCredential({ auth: 'auto', env: { PATH: binDir } });
    expect(method).toBe('azure-cli');
    expect(lastBuilt().kind).toBe('AzureCliCredential');
  });

  it('ends with managed identity, user-assigned when a client id is known', () => {
    expect(createAzureCredential({ auth: 'auto', env: { PATH: emptyDir } }).method).toBe('managed-identity');
    expect(lastBuilt()).toEqual({ kind: 'ManagedIdentityCredential', args: [] });

    createAzureCredential({ auth: 'auto', env: { PATH: emptyDir, AZURE_CLIENT_ID: CLIENT } });
    expect(lastBuilt()).toEqual({ kind: 'ManagedIdentityCredential', args: [{ clientId: CLIENT }] });
  });

  it('logs the chosen method with ids but never secrets', () => {
    const { lines, log } = capture();
    createAzureCredential({
      auth: 'auto',
      tenantId: TENANT,
      clientId: CLIENT,
      serviceConnectionId: 'sc-42',
      systemAccessToken: ACCESS_TOKEN,
      clientSecret: SECRET,
      env: {},
      log,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Azure sign-in: azure-pipelines \(auto\), using .*sc-42/);
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(lines.join('\n')).not.toContain(ACCESS_TOKEN);
  });
});

describe('createAzureCredential, explicit auth', () => {
  it('honours the requested method even when a stronger one is available', () => {
    const { method } = createAzureCredential({
      auth: 'managed-identity',
      tenantId: TENANT,
      clientId: CLIENT,
      getIdToken: async () => 'x',
      env: githubEnv,
    });
    expect(method).toBe('managed-identity');
    expect(lastBuilt().kind).toBe('ManagedIdentityCredential');
  });

  it('names what github-oidc is missing, in one line', () => {
    const call = () => createAzureCredential({ auth: 'github-oidc', clientId: CLIENT, env: {} });
    expect(call).toThrow(ConfigurationError);
    expect(call).toThrow(
      "auth 'github-oidc' needs tenant-id (or AZURE_TENANT_ID), an OIDC token (GitHub Actions with permissions id-token: write)",
    );
    expect(built).toHaveLength(0);
  });

  it('names what azure-pipelines is missing without echoing values it has', () => {
    let message = '';
    try {
      createAzureCredential({
        auth: 'azure-pipelines',
        tenantId: TENANT,
        clientSecret: SECRET,
        systemAccessToken: ACCESS_TOKEN,
        env: {},
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      message = (error as Error).message;
    }
    expect(message).toBe("auth 'azure-pipelines' needs the service connection id, client-id (or AZURE_CLIENT_ID)");
    expect(message).not.toContain('\n');
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain(ACCESS_TOKEN);
    expect(message).not.toContain(TENANT);
  });

  it('names a missing client secret for service-principal', () => {
    expect(() =>
      createAzureCredential({ auth: 'service-principal', tenantId: TENANT, clientId: CLIENT, env: {} }),
    ).toThrow("auth 'service-principal' needs client-secret");
  });

  it('names missing AZURE_* variables for environment', () => {
    expect(() =>
      createAzureCredential({ auth: 'environment', env: { AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: SECRET } }),
    ).toThrow(/^auth 'environment' needs AZURE_TENANT_ID$/);
  });

  it('says when the Azure CLI is not installed', () => {
    expect(() => createAzureCredential({ auth: 'azure-cli', env: { PATH: emptyDir } })).toThrow(
      "auth 'azure-cli' needs the Azure CLI (az) on PATH",
    );
  });

  it('treats blank values as missing', () => {
    expect(() =>
      createAzureCredential({ auth: 'service-principal', tenantId: ' ', clientId: CLIENT, clientSecret: SECRET, env: {} }),
    ).toThrow("auth 'service-principal' needs tenant-id (or AZURE_TENANT_ID)");
  });
});

describe('createAzureCredential, an Azure DevOps service connection handed over by the agent', () => {
  const OIDC_ENV = { SYSTEM_OIDCREQUESTURI: 'https://dev.azure.example/org/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken', PATH: binDir };
  const connection = (scheme: string, extra: Record<string, string> = {}) => ({
    id: 'a1b2c3d4-0000-4000-8000-000000000001',
    scheme,
    tenantId: TENANT,
    clientId: CLIENT,
    ...extra,
  });

  it('federates with the connection ids and the SystemVssConnection token, over any other identity', () => {
    const { method } = createAzureCredential({
      auth: 'auto',
      serviceConnection: connection('WorkloadIdentityFederation', { systemAccessToken: ACCESS_TOKEN }),
      // Inputs and AZURE_* variables that would point elsewhere are not what a federated
      // credential is bound to: the connection's ids win.
      tenantId: 'other-tenant',
      clientId: 'other-client',
      env: { ...OIDC_ENV, AZURE_CLIENT_ID: 'env-client', AZURE_TENANT_ID: 'env-tenant', AZURE_CLIENT_SECRET: SECRET },
    });
    expect(method).toBe('azure-pipelines');
    expect(lastBuilt()).toEqual({
      kind: 'AzurePipelinesCredential',
      args: [TENANT, CLIENT, 'a1b2c3d4-0000-4000-8000-000000000001', ACCESS_TOKEN],
    });
  });

  it('falls back to SYSTEM_ACCESSTOKEN mapped by the pipeline', () => {
    createAzureCredential({
      auth: 'azure-pipelines',
      serviceConnection: connection('WorkloadIdentityFederation'),
      env: { ...OIDC_ENV, SYSTEM_ACCESSTOKEN: ACCESS_TOKEN },
    });
    expect(lastBuilt().args[3]).toBe(ACCESS_TOKEN);
  });

  it('names what workload identity federation lacks, without values, and never falls back to another identity', () => {
    const incomplete = connection('WorkloadIdentityFederation', { clientId: '', systemAccessToken: ACCESS_TOKEN });
    const expected =
      "auth 'azure-pipelines' needs the connection's serviceprincipalid, SYSTEM_OIDCREQUESTURI (set by the agent)";
    // auto would otherwise end at managed identity; a named connection is that or an error.
    expect(() => createAzureCredential({ auth: 'auto', serviceConnection: incomplete, env: { PATH: binDir } })).toThrow(expected);
    expect(() => createAzureCredential({ auth: 'azure-pipelines', serviceConnection: incomplete, env: {} })).toThrow(expected);
    expect(built).toEqual([]);
    try {
      createAzureCredential({ auth: 'auto', serviceConnection: incomplete, env: {} });
    } catch (error) {
      expect((error as Error).message).not.toContain(ACCESS_TOKEN);
      expect((error as Error).message).not.toContain(TENANT);
    }
  });

  it('still honours an explicitly requested other method', () => {
    const { method } = createAzureCredential({
      auth: 'environment',
      serviceConnection: connection('WorkloadIdentityFederation', { systemAccessToken: ACCESS_TOKEN }),
      env: { AZURE_CLIENT_ID: CLIENT, AZURE_TENANT_ID: TENANT, AZURE_CLIENT_SECRET: SECRET },
    });
    expect(method).toBe('environment');
    expect(lastBuilt().kind).toBe('ClientSecretCredential');
  });

  it('signs in with the secret of a service principal connection', () => {
    createAzureCredential({ auth: 'auto', serviceConnection: connection('ServicePrincipal', { clientSecret: SECRET }), env: {} });
    expect(lastBuilt()).toEqual({ kind: 'ClientSecretCredential', args: [TENANT, CLIENT, SECRET] });
  });

  it('signs in with the PEM of a certificate connection', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n';
    createAzureCredential({ auth: 'auto', serviceConnection: connection('ServicePrincipal', { certificatePem: pem }), env: {} });
    expect(lastBuilt()).toEqual({ kind: 'ClientCertificateCredential', args: [TENANT, CLIENT, { certificate: pem }] });
  });

  it("uses the connection's authority for another cloud, and the library default for the public one", () => {
    createAzureCredential({
      auth: 'auto',
      serviceConnection: connection('ServicePrincipal', { clientSecret: SECRET, authorityHost: 'https://login.microsoftonline.us/' }),
      env: {},
    });
    expect(lastBuilt().args[3]).toEqual({ authorityHost: 'https://login.microsoftonline.us/', disableInstanceDiscovery: true });
    createAzureCredential({
      auth: 'auto',
      serviceConnection: connection('ServicePrincipal', { clientSecret: SECRET, authorityHost: 'https://login.windows.net/' }),
      env: {},
    });
    expect(lastBuilt().args).toHaveLength(3);
  });

  it('uses the agent managed identity for a ManagedServiceIdentity connection', () => {
    const { method } = createAzureCredential({ auth: 'auto', serviceConnection: connection('ManagedServiceIdentity'), env: {} });
    expect(method).toBe('azure-pipelines');
    expect(lastBuilt()).toEqual({ kind: 'ManagedIdentityCredential', args: [] });
  });

  it('refuses a scheme it cannot sign in with, in one line', () => {
    expect(() => createAzureCredential({ auth: 'auto', serviceConnection: connection('PublishProfile'), env: {} })).toThrow(
      ConfigurationError,
    );
    expect(() => createAzureCredential({ auth: 'auto', serviceConnection: connection('PublishProfile'), env: {} })).toThrow(
      /^service connection a1b2c3d4-0000-4000-8000-000000000001 uses the PublishProfile scheme; llmops signs in with WorkloadIdentityFederation, ServicePrincipal or ManagedServiceIdentity connections$/,
    );
  });
});
