/**
 * Failures of Azure (a service answer after the SDK's retries, a refused sign-in) are not bugs of
 * ours and not worth a stack trace: the user gets one line saying what was being done and what
 * the service answered. Every stage that talks to Azure (registering, deploying) goes through
 * here. Everything else passes through unchanged.
 */
import { ConfigurationError, StageFailure, isUserError } from '../errors.js';

/** @azure/identity's errors, recognised by name so this module does not load the SDK. */
const SIGN_IN_ERRORS = new Set([
  'AuthenticationError',
  'AggregateAuthenticationError',
  'CredentialUnavailableError',
  // What a client secret or assertion Entra ID refuses (invalid_client) arrives as.
  'AuthenticationRequiredError',
]);

interface RestErrorLike {
  name: string;
  message: string;
  code?: string;
  statusCode?: number;
}

export function explainAzureError(error: unknown, doing: string): unknown {
  if (isUserError(error) || !(error instanceof Error)) return error;
  const message = serviceMessage(error);
  if (SIGN_IN_ERRORS.has(error.name)) {
    return new ConfigurationError(`${doing}: Azure sign-in failed: ${message}`);
  }
  const rest = error as RestErrorLike;
  if (rest.name === 'RestError') {
    const status = rest.statusCode;
    const answer = [status, rest.code].filter((part) => part !== undefined && part !== '').join(' ');
    const text = `${doing}: ${answer ? `${answer}: ` : ''}${message}`;
    // 401/403: the identity lacks a role or the coordinates are wrong; the user fixes that.
    if (status === 401 || status === 403 || status === 404) return new ConfigurationError(text);
    const afterRetries = status === undefined || status === 429 || status >= 500 ? ' (after retries)' : '';
    return new StageFailure(`${text}${afterRetries}`);
  }
  return error;
}

/**
 * A service error's message for a one-line report: its first line, query strings dropped
 * (service messages can quote a URL, and a SAS token lives in one).
 */
export function serviceMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const first = text.split(/\r?\n/).find((line) => line.trim() !== '') ?? text;
  return first.replace(/(https?:\/\/[^\s?'"]+)\?[^\s'"]*/g, '$1').trim();
}
