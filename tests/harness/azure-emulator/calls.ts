/** One request as the emulator saw it. Never holds the Authorization header's value. */
export interface CallRecord {
  method: string;
  /** URL path without the query string, percent-decoded. */
  path: string;
  apiVersion: string | undefined;
  query: Record<string, string>;
  /** The parsed JSON body (or the raw text when it was not JSON); undefined when empty. */
  body: unknown;
  /** Filled in when the response is sent; 0 for a dropped connection. */
  status: number;
  /** How the request authenticated: the bearer token matched, was wrong, or was absent. */
  auth: 'ok' | 'wrong-token' | 'missing';
  /** The injected fault that answered this request, if any. */
  fault?: string;
}

/** POST actions that read rather than change anything. */
const READ_ONLY_ACTIONS = new Set(['listsecrets', 'listkeys', 'token', 'getlogs']);

export class CallLog {
  readonly entries: CallRecord[] = [];

  /** Every call that changes state: PUT, PATCH, DELETE, and POSTs other than read-only actions. */
  writes(): CallRecord[] {
    return this.entries.filter((call) => isWrite(call));
  }

  /** Calls with `method` (any when undefined) whose path contains `path` (case-insensitive) or matches it. */
  matching(method: string | undefined, path: string | RegExp = ''): CallRecord[] {
    return this.entries.filter(
      (call) => (!method || call.method === method.toUpperCase()) && pathMatches(call.path, path),
    );
  }

  clear(): void {
    this.entries.length = 0;
  }

  /** The whole log as text, for asserting that no secret appears anywhere in it. */
  toString(): string {
    return JSON.stringify(this.entries);
  }
}

export function isWrite(call: Pick<CallRecord, 'method' | 'path'>): boolean {
  if (call.method === 'GET' || call.method === 'HEAD') return false;
  if (call.method === 'POST') {
    const action = call.path.split('/').at(-1)?.toLowerCase() ?? '';
    return !READ_ONLY_ACTIONS.has(action);
  }
  return true;
}

export function pathMatches(path: string, pattern: string | RegExp): boolean {
  return typeof pattern === 'string' ? path.toLowerCase().includes(pattern.toLowerCase()) : pattern.test(path);
}
