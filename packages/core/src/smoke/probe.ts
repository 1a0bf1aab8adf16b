/**
 * Sending sample requests to a scoring endpoint and judging the answers. Works with any prompt
 * flow server: `pf flow serve`, an Azure ML managed online endpoint, App Service, a Kubernetes
 * service or a container: POST the flow inputs as JSON, get the flow outputs as JSON.
 *
 * A freshly deployed endpoint is often not up yet (the container starts, the ingress routes
 * nothing, Azure ML answers 404 until the deployment exists or 502/503 while it warms up), so
 * the first request is retried on those answers until the ready timeout. After that every
 * request counts: one answer, judged on status, JSON body and latency.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../host.js';
import { isPlainObject } from '../json-document.js';
import type { SampleRequest } from './requests.js';

export interface ProbeSettings {
  url: string;
  /** Sent as `Authorization: Bearer <key>` (Azure ML endpoint keys and tokens). */
  key?: string;
  /** Azure ML: pins the deployment (azureml-model-deployment header). */
  deployment?: string;
  maxLatencyMs: number;
  readyTimeoutMs: number;
  signal: AbortSignal;
  log: Logger;
}

export interface SmokeOutcome {
  request: string;
  /** HTTP status of the answer; absent when none came. */
  status?: number;
  latencyMs?: number;
  ok: boolean;
  /** The flow outputs the answer carried (their names). */
  outputs?: string[];
  /** Why the request failed, in one line. */
  problem?: string;
}

/** Answers that mean "not up yet" while an endpoint is being deployed or scaled. */
const NOT_READY_STATUSES = new Set([404, 429, 502, 503, 504]);
const MAX_BACKOFF_MS = 10_000;
/** How much of an unexpected answer goes into the one-line problem. */
const BODY_EXCERPT_CHARS = 200;

type Answer =
  | { kind: 'answer'; status: number; latencyMs: number; text: string; retryAfterMs?: number }
  /** `unreachable`: nothing listens yet (refused, reset, unknown host), unlike a slow answer. */
  | { kind: 'no-answer'; reason: string; unreachable: boolean };

export async function probeEndpoint(requests: SampleRequest[], settings: ProbeSettings): Promise<SmokeOutcome[]> {
  const outcomes: SmokeOutcome[] = [];
  for (const [index, request] of requests.entries()) {
    const answer = index === 0 ? await firstAnswer(request, settings) : await send(request, settings);
    const outcome = judge(request, answer, settings.maxLatencyMs);
    settings.log.info(
      `${request.label}: ${outcome.status ? `HTTP ${outcome.status}` : 'no answer'}` +
        (outcome.latencyMs !== undefined ? ` in ${outcome.latencyMs} ms` : '') +
        (outcome.ok ? `: outputs ${outcome.outputs!.join(', ') || '(none)'}` : `: ${outcome.problem}`),
    );
    outcomes.push(outcome);
  }
  return outcomes;
}

/** The first request, retried while the endpoint is not up yet, until the ready timeout. */
async function firstAnswer(request: SampleRequest, settings: ProbeSettings): Promise<Answer> {
  const deadline = Date.now() + settings.readyTimeoutMs;
  let backoffMs = 1_000;
  for (let attempt = 1; ; attempt++) {
    const answer = await send(request, settings);
    const notReady =
      answer.kind === 'no-answer'
        ? answer.unreachable
          ? answer.reason
          : undefined
        : NOT_READY_STATUSES.has(answer.status)
          ? `HTTP ${answer.status}`
          : undefined;
    if (!notReady) return answer;
    const retryAfter = answer.kind === 'answer' ? answer.retryAfterMs : undefined;
    const waitMs = Math.min(retryAfter ?? backoffMs, MAX_BACKOFF_MS);
    if (Date.now() + waitMs > deadline || settings.signal.aborted) {
      if (attempt > 1) settings.log.info(`endpoint still not ready after ${attempt} attempts (${notReady})`);
      return answer;
    }
    settings.log.info(`endpoint not ready (${notReady}); trying again in ${Math.round(waitMs / 100) / 10} s`);
    await sleep(waitMs, undefined, { signal: settings.signal }).catch(() => undefined);
    // The server's own Retry-After does not advance our backoff.
    if (retryAfter === undefined) backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
  }
}

async function send(request: SampleRequest, settings: ProbeSettings): Promise<Answer> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (settings.key) headers.Authorization = `Bearer ${settings.key}`;
  if (settings.deployment) headers['azureml-model-deployment'] = settings.deployment;
  // Waiting longer than the latency bound cannot turn the answer into a pass.
  const timeout = AbortSignal.timeout(settings.maxLatencyMs);
  const started = performance.now();
  try {
    const response = await fetch(settings.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(request.body),
      signal: AbortSignal.any([settings.signal, timeout]),
      redirect: 'error',
    });
    const text = await response.text();
    return {
      kind: 'answer',
      status: response.status,
      latencyMs: Math.round(performance.now() - started),
      text,
      retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
    };
  } catch (error) {
    if (settings.signal.aborted) return { kind: 'no-answer', reason: 'canceled', unreachable: false };
    if (timeout.aborted) return { kind: 'no-answer', reason: `no answer within ${settings.maxLatencyMs} ms`, unreachable: false };
    return { kind: 'no-answer', reason: networkReason(error), unreachable: true };
  }
}

function judge(request: SampleRequest, answer: Answer, maxLatencyMs: number): SmokeOutcome {
  if (answer.kind === 'no-answer') return { request: request.label, ok: false, problem: answer.reason };
  const { status, latencyMs } = answer;
  const fail = (problem: string): SmokeOutcome => ({ request: request.label, status, latencyMs, ok: false, problem });
  if (status !== 200) return fail(`HTTP ${status}: ${excerpt(answer.text)}`);
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return fail(`the answer is not JSON: ${excerpt(answer.text)}`);
  }
  if (!isPlainObject(body)) return fail(`the answer is not a JSON object of flow outputs: ${excerpt(answer.text)}`);
  if ('error' in body) return fail(`the answer is an error: ${excerpt(answer.text)}`);
  if (latencyMs > maxLatencyMs) return fail(`answered in ${latencyMs} ms, above max-latency-ms ${maxLatencyMs}`);
  return { request: request.label, status, latencyMs, ok: true, outputs: Object.keys(body) };
}

function excerpt(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine === '') return '(empty body)';
  return oneLine.length > BODY_EXCERPT_CHARS ? `${oneLine.slice(0, BODY_EXCERPT_CHARS)}...` : oneLine;
}

/** Retry-After in seconds or as an HTTP date. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** fetch wraps the socket error in its `cause`: ECONNREFUSED, ENOTFOUND, a TLS failure ... */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `cannot connect (${cause.code})`;
  return `cannot connect (${cause?.message ?? (error as Error).message})`;
}
