/** The loopback OpenAI server speaks enough of the API for promptflow-tools; checked with fetch. */
import { afterEach, describe, expect, test } from 'vitest';
import { countTokens, labelFor, startOpenAiServer, type OpenAiTestServer } from './openai-server.js';

let server: OpenAiTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const post = (path: string, body: unknown) =>
  fetch(`${server!.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
    body: JSON.stringify(body),
  });

describe('openai-server', () => {
  test('chat completions: label from the last message, usage in words, request recorded', async () => {
    server = await startOpenAiServer();
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const response = await post('/chat/completions', {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Categories: billing, shipping, account, technical.' },
        { role: 'user', content: 'My parcel never arrived' },
      ],
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: 'shipping' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 },
    });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      path: '/v1/chat/completions',
      authorization: 'Bearer sk-test',
      promptText: 'Categories: billing, shipping, account, technical.\nMy parcel never arrived',
    });
  });

  test('completions, a scripted responder and a delay', async () => {
    server = await startOpenAiServer({ responder: ({ promptText }) => promptText.toUpperCase(), delayMs: 150 });
    const started = Date.now();
    const body = await (await post('/completions', { model: 'm', prompt: 'say hi' })).json();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(body).toMatchObject({
      object: 'text_completion',
      choices: [{ text: 'SAY HI' }],
      usage: { prompt_tokens: 2, completion_tokens: 2 },
    });
  });

  test('errors only when a test asks, then normal answers resume', async () => {
    server = await startOpenAiServer();
    server.failNext({ status: 429, message: 'slow down' });
    const limited = await post('/chat/completions', { messages: [{ role: 'user', content: 'refund please' }] });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({
      error: { message: 'slow down', type: 'server_error', param: null, code: null },
    });
    const ok = await post('/chat/completions', { messages: [{ role: 'user', content: 'refund please' }] });
    expect((await ok.json()).choices[0].message.content).toBe('billing');
    expect((await post('/chat/completions', { stream: true, messages: [] })).status).toBe(400);
    expect((await post('/embeddings', {})).status).toBe(404);
    expect((await post('/chat/completions', 'not json')).status).toBe(400);
  });

  test('labelFor and countTokens are plain functions tests can reuse', () => {
    expect(labelFor('I forgot my password')).toBe('account');
    expect(labelFor('The weather is nice')).toBe('other');
    expect(countTokens('  a  b c ')).toBe(3);
  });
});
