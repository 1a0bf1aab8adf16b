import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/core-auth';
import type { AzureEmulator } from './index.js';

/**
 * Options that point any @azure/arm-* client at the emulator while keeping its real pipeline:
 * - `endpoint` and `$host`: generated ARM clients build URLs from `$host` but derive the token
 *   scope from `endpoint`; both must be set.
 * - `credentialScopes`: ask for the real ARM audience, not `https://127.0.0.1:<port>/.default`.
 * - `tlsOptions.ca`: trust the run's self-signed certificate for this client only, through the
 *   pipeline's tlsPolicy; no global agent, no NODE_TLS_REJECT_UNAUTHORIZED, no plain http, so
 *   bearerTokenAuthenticationPolicy stays in place and sees an https URL.
 * - short retry delays, so injected 500s and dropped connections do not slow tests down
 *   (429 waits still follow the emulator's Retry-After).
 */
export function armClientOptions(emulator: Pick<AzureEmulator, 'url' | 'caCertPem'>) {
  return {
    endpoint: emulator.url,
    $host: emulator.url,
    credentialScopes: ['https://management.azure.com/.default'],
    tlsOptions: { ca: emulator.caCertPem },
    retryOptions: { maxRetries: 3, retryDelayInMs: 20, maxRetryDelayInMs: 200 },
  };
}

/** The real Azure ML management client, signed in with the emulator's fake credential. */
export function createMlClient(
  emulator: AzureEmulator,
  credential: TokenCredential = emulator.credential(),
): AzureMachineLearningWorkspaces {
  return new AzureMachineLearningWorkspaces(credential, emulator.scope.subscriptionId, armClientOptions(emulator));
}
