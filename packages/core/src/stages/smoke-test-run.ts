import path from 'node:path';
import { ConfigurationError, StageFailure } from '../errors.js';
import { code, markdownTable } from '../markdown.js';
import { probeEndpoint, type SmokeOutcome } from '../smoke/probe.js';
import { loadSampleRequests } from '../smoke/requests.js';
import type { OutputValues, StageContext } from '../spec.js';
import type { smokeTestInputs, smokeTestOutputs } from './smoke-test.js';

export async function runSmokeTest(
  ctx: StageContext<typeof smokeTestInputs>,
): Promise<OutputValues<typeof smokeTestOutputs>> {
  const { inputs, host, log } = ctx;
  const url = scoringUrl(inputs['endpoint-url']);
  if (inputs['endpoint-key'] && url.protocol === 'http:' && !isLoopback(url.hostname)) {
    log.warning(`endpoint-key goes to ${url.host} over plain http; use the https scoring URL`);
  }
  const requests = await loadSampleRequests(path.resolve(host.workingDirectory, inputs['request-file']));
  log.info(`smoke test of ${url.href}: ${requests.length} request(s)` + (inputs.deployment ? ` to deployment ${inputs.deployment}` : ''));

  const outcomes = await probeEndpoint(requests, {
    url: url.href,
    key: inputs['endpoint-key'],
    deployment: inputs.deployment,
    maxLatencyMs: inputs['max-latency-ms'],
    readyTimeoutMs: inputs['ready-timeout-seconds'] * 1000,
    signal: host.signal,
    log,
  });
  await host.appendSummary(summary(url, outcomes));

  const failed = outcomes.filter((outcome) => !outcome.ok);
  if (failed.length > 0) {
    const first = failed[0]!;
    throw new StageFailure(
      `${failed.length} of ${outcomes.length} smoke request(s) failed; ${first.request}: ${first.problem}`,
      undefined,
      { result: outcomes },
    );
  }
  return { result: outcomes };
}

function scoringUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(`endpoint-url: '${value}' is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`endpoint-url: '${value}' is not an http or https URL`);
  }
  // A key in the URL would end up in logs and summaries; keys belong in endpoint-key.
  if (url.username || url.password) throw new ConfigurationError('endpoint-url: put credentials in endpoint-key, not in the URL');
  return url;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}

function summary(url: URL, outcomes: SmokeOutcome[]): string {
  const passed = outcomes.filter((outcome) => outcome.ok).length;
  const rows = outcomes.map((outcome) => [
    outcome.request,
    outcome.status ? String(outcome.status) : '-',
    outcome.latencyMs !== undefined ? `${outcome.latencyMs} ms` : '-',
    outcome.ok ? `pass (${(outcome.outputs ?? []).map(code).join(', ') || 'no outputs'})` : `**fail**: ${outcome.problem}`,
  ]);
  return `### llmops smoke test of ${code(url.host + url.pathname)}: ${passed} of ${outcomes.length} passed\n\n${markdownTable(['request', 'status', 'latency', 'result'], rows)}\n`;
}
