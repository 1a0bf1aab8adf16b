/**
 * The LLM example end to end against the loopback OpenAI-compatible server: the experiment's
 * `test` overlay swaps the Azure OpenAI connection for an OpenAI one with base_url, the executor
 * creates it, promptflow-tools' `llm` tool calls the server, and each variant's prompt arrives.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadExperiment, resolveConnectionSecrets } from '../../packages/core/src/config/index.js';
import { LocalPromptflowExecutor } from '../../packages/core/src/promptflow/index.js';
import type { ResolvedFlow } from '../../packages/core/src/plan/types.js';
import { startOpenAiServer, type OpenAiTestServer } from '../harness/openai-server.js';
import { describeWithPromptflow, examplesDir, flowAt, recordingLogger, repoRoot, tempDir } from './support.js';

const example = path.join(examplesDir, 'llm-classification');
const data = path.join(example, 'data', 'tickets-pr.jsonl');
const API_KEY = 'sk-loopback-4b1d0c';

describeWithPromptflow('llm-classification against the loopback OpenAI server', () => {
  let server: OpenAiTestServer;
  let executor: LocalPromptflowExecutor;
  let classifier: ResolvedFlow;
  const log = recordingLogger();

  beforeAll(async () => {
    server = await startOpenAiServer();
    const environ = { AOAI_API_KEY: API_KEY, AOAI_BASE_URL: server.baseUrl };
    const experiment = await loadExperiment(path.join(example, 'experiment.yaml'), { env: 'test', environ });
    executor = await LocalPromptflowExecutor.start({
      outputDir: await tempDir('llm'),
      projectDir: repoRoot,
      log,
      connections: resolveConnectionSecrets(experiment.connections, environ),
    });
    classifier = await flowAt(path.join(example, 'flows', 'classify'));
  });
  afterAll(async () => {
    await executor?.close();
    await server?.close();
  });

  const classify = async (name: string, variants: Record<string, string>) => {
    server.reset();
    const result = await executor.run({
      name,
      flow: classifier,
      data,
      variants,
      columnMapping: { text: '${data.text}' },
    });
    return { result, systemPrompts: server.requests.map((request) => systemPrompt(request.body)) };
  };

  test('each variant sends its own prompt, tokens are counted, and the evaluation scores it', async () => {
    const terse = await classify('terse', { few_shot: 'variant_0', classify_with_llm: 'variant_0' });
    expect(terse.result).toMatchObject({ status: 'Completed', lines: { total: 8, completed: 8, failed: 0 } });
    expect(terse.systemPrompts).toHaveLength(8);
    for (const prompt of terse.systemPrompts) {
      expect(prompt).toMatch(/^Classify the support ticket as one of/);
      expect(prompt).not.toContain('Ticket:');
    }

    const guided = await classify('guided', { few_shot: 'variant_0', classify_with_llm: 'variant_1' });
    expect(guided.result.status).toBe('Completed');
    for (const prompt of guided.systemPrompts) expect(prompt).toMatch(/^You route customer support tickets/);

    // Both nodes off their default: a materialized flow, with the examples in the guided prompt.
    const guidedFewShot = await classify('guided_few_shot', { few_shot: 'variant_1', classify_with_llm: 'variant_1' });
    expect(guidedFewShot.result.status).toBe('Completed');
    for (const prompt of guidedFewShot.systemPrompts) {
      expect(prompt).toMatch(/^You route customer support tickets/);
      expect(prompt).toContain('Examples:\nTicket: My card was charged for a plan I never ordered.\nCategory: billing');
    }

    // The connection's key reached the server; the user message is the ticket itself.
    expect(server.requests[0]?.authorization).toBe(`Bearer ${API_KEY}`);
    expect(server.requests.map((request) => lastUserMessage(request.body)).sort()).toContain(
      "I received someone else's order.",
    );
    // Tokens come from promptflow's own accounting of the LLM calls (words, as the server counts).
    expect(guided.result.tokens.prompt).toBeGreaterThan(guided.result.tokens.completion);
    expect(guided.result.tokens.completion).toBe(8);
    expect(guided.result.tokens.total).toBe(guided.result.tokens.prompt + guided.result.tokens.completion);
    expect(log.lines.join('\n')).not.toContain(API_KEY);

    const evaluation = await executor.run({
      name: 'guided_eval',
      flow: await flowAt(path.join(example, 'flows', 'evaluation')),
      data,
      variants: {},
      baseRun: 'guided',
      columnMapping: { groundtruth: '${data.category}', prediction: '${run.outputs.category}' },
    });
    // The server's keyword rules get all 8 pull-request tickets right.
    expect(evaluation.metrics.accuracy).toBe(1);
  });
});

type ChatBody = { messages?: Array<{ role: string; content: string }> };

function systemPrompt(body: Record<string, unknown>): string {
  return (body as ChatBody).messages?.find((message) => message.role === 'system')?.content ?? '';
}

function lastUserMessage(body: Record<string, unknown>): string {
  return (body as ChatBody).messages?.filter((message) => message.role === 'user').pop()?.content ?? '';
}
