import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GitHubHost } from './index.js';

/** A loopback stand-in for the runner's OIDC token service (ACTIONS_ID_TOKEN_REQUEST_URL). */
async function oidcServer(token: string) {
  const requests: { url: string; authorization?: string }[] = [];
  const server = http.createServer((request, response) => {
    requests.push({ url: request.url!, authorization: request.headers.authorization });
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ value: token }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/idtoken?api-version=2.0`, requests, close: () => server.close() };
}

describe('GitHubHost.getIdToken', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('asks the runner for a token with the audience and the request token', async () => {
    const server = await oidcServer('header.payload.signature');
    try {
      process.env.ACTIONS_ID_TOKEN_REQUEST_URL = server.url;
      process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'runner-request-token';
      const token = await new GitHubHost().getIdToken('api://AzureADTokenExchange');
      expect(token).toBe('header.payload.signature');
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]!.url).toContain(`audience=${encodeURIComponent('api://AzureADTokenExchange')}`);
      expect(server.requests[0]!.authorization).toBe('Bearer runner-request-token');
    } finally {
      server.close();
    }
  });

  it('fails clearly when the workflow lacks id-token: write', async () => {
    delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
    delete process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    await expect(new GitHubHost().getIdToken('api://AzureADTokenExchange')).rejects.toThrow(
      'GitHub OIDC is not available to this job: add `permissions: id-token: write` to the workflow or job',
    );
  });
});
