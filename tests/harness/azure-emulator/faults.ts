import { pathMatches } from './calls.js';

/** Which requests a fault applies to: method and a path substring (case-insensitive) or pattern. */
export interface RequestMatch {
  method?: string;
  path?: string | RegExp;
}

interface Scope {
  /** How many matching requests (or long-running operations) get the fault; default 1. */
  times?: number;
  match?: RequestMatch;
}

/** A fault that answers the request itself, before any routing. */
export type RequestFault =
  | { kind: 'throttle'; retryAfterSeconds: number }
  | { kind: 'server-error'; status: number }
  | { kind: 'drop-connection' };

/** A fault that shapes a long-running operation started by the request. */
export type LroFault =
  | { kind: 'lro-failed'; code: string; message: string }
  | { kind: 'lro-slow'; inProgressPolls: number };

interface Rule<F> {
  fault: F;
  remaining: number;
  match: RequestMatch;
}

/**
 * Scripted trouble: each rule fires for the next `times` matching requests, then retires. Rules
 * are checked in the order they were added.
 */
export class Faults {
  private readonly requestRules: Rule<RequestFault>[] = [];
  private readonly lroRules: Rule<LroFault>[] = [];

  /** 429 Too Many Requests with Retry-After (seconds), as ARM throttling answers. */
  throttle(options: Scope & { retryAfterSeconds?: number } = {}): this {
    return this.addRequest({ kind: 'throttle', retryAfterSeconds: options.retryAfterSeconds ?? 1 }, options);
  }

  /** A 5xx ARM error body (500 unless `status` says otherwise). */
  serverError(options: Scope & { status?: number } = {}): this {
    return this.addRequest({ kind: 'server-error', status: options.status ?? 500 }, options);
  }

  /** The socket is destroyed without a response: the client sees ECONNRESET / socket hang up. */
  dropConnection(options: Scope = {}): this {
    return this.addRequest({ kind: 'drop-connection' }, options);
  }

  /** The next long-running operation(s) end with status Failed and this error. */
  failLro(options: Scope & { code?: string; message?: string } = {}): this {
    this.lroRules.push({
      fault: {
        kind: 'lro-failed',
        code: options.code ?? 'DeploymentFailed',
        message: options.message ?? 'Injected failure: the operation did not complete.',
      },
      remaining: options.times ?? 1,
      match: options.match ?? {},
    });
    return this;
  }

  /** The next long-running operation(s) report InProgress for `polls` polls before finishing. */
  slowLro(polls: number, options: Scope = {}): this {
    this.lroRules.push({
      fault: { kind: 'lro-slow', inProgressPolls: polls },
      remaining: options.times ?? 1,
      match: options.match ?? {},
    });
    return this;
  }

  /** Rules that have not fired their last time yet. */
  get pending(): number {
    return this.requestRules.length + this.lroRules.length;
  }

  clear(): void {
    this.requestRules.length = 0;
    this.lroRules.length = 0;
  }

  /** @internal The emulator asks once per request. */
  takeRequestFault(method: string, path: string): RequestFault | undefined {
    return take(this.requestRules, method, path);
  }

  /** @internal The emulator asks once per long-running operation it starts. */
  takeLroFaults(method: string, path: string): LroFault[] {
    // A slow rule and a failing rule may both apply to one operation (slow, then Failed).
    const taken: LroFault[] = [];
    for (const kind of ['lro-slow', 'lro-failed'] as const) {
      const rule = this.lroRules.find((candidate) => candidate.fault.kind === kind && applies(candidate, method, path));
      if (rule) {
        rule.remaining -= 1;
        taken.push(rule.fault);
      }
    }
    prune(this.lroRules);
    return taken;
  }

  private addRequest(fault: RequestFault, options: Scope): this {
    this.requestRules.push({ fault, remaining: options.times ?? 1, match: options.match ?? {} });
    return this;
  }
}

function take<F>(rules: Rule<F>[], method: string, path: string): F | undefined {
  const rule = rules.find((candidate) => applies(candidate, method, path));
  if (!rule) return undefined;
  rule.remaining -= 1;
  prune(rules);
  return rule.fault;
}

function applies(rule: Rule<unknown>, method: string, path: string): boolean {
  return (
    rule.remaining > 0 &&
    (!rule.match.method || rule.match.method.toUpperCase() === method) &&
    (rule.match.path === undefined || pathMatches(path, rule.match.path))
  );
}

function prune(rules: Rule<unknown>[]): void {
  for (let i = rules.length - 1; i >= 0; i--) if (rules[i]!.remaining <= 0) rules.splice(i, 1);
}
