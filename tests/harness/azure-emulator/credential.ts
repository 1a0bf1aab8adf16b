import { randomBytes } from 'node:crypto';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

/** A fresh, recognisable token value: tests grep logs and manifests for it to prove it never leaks. */
export function canaryToken(label = 'arm'): string {
  return `canary-${label}-token-${randomBytes(12).toString('hex')}`;
}

/**
 * Stands in for a Microsoft Entra credential: hands out a fixed bearer token and records which
 * scopes were asked for, so a test can check the client requested the ARM audience.
 */
export class FakeTokenCredential implements TokenCredential {
  readonly requests: { scopes: string[]; options?: GetTokenOptions }[] = [];

  constructor(readonly token: string = canaryToken()) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    this.requests.push({ scopes: Array.isArray(scopes) ? [...scopes] : [scopes], options });
    return { token: this.token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000, tokenType: 'Bearer' };
  }
}
