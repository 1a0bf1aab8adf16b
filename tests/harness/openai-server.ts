/**
 * A loopback OpenAI-compatible server for flows that call an LLM: POST /v1/chat/completions and
 * POST /v1/completions on 127.0.0.1 with a random port. Point an `open_ai` promptflow connection
 * at `server.baseUrl` (http://127.0.0.1:PORT/v1) and the `llm` tool of promptflow-tools talks to
 * it like to api.openai.com.
 *
 * Answers are deterministic: a responder function turns the prompt text into the answer. Every
 * request body is recorded so a test can assert what each variant actually sent. The server never
 * answers 5xx or 429 unless a test asks for it with `failNext`, because promptflow-tools retries
 * those with backoff (up to minutes) and a test would look hung.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatMessage {
  role: string;
  content: string | Array<{ type: string; text?: string }> | null;
}

export interface RecordedRequest {
  path: string;
  /** The Authorization header: tests assert the connection's key arrived, nothing else reads it. */
  authorization?: string;
  body: Record<string, unknown>;
  /** All message contents (chat) or the prompt (completions), joined with newlines. */
  promptText: string;
  receivedAt: number;
}

export interface ResponderInput {
  promptText: string;
  messages: ChatMessage[];
  model: string;
  body: Record<string, unknown>;
}

/** Returns the assistant's answer for one request. */
export type Responder = (input: ResponderInput) => string;

export interface OpenAiServerOptions {
  responder?: Responder;
  /** Fixed delay before every answer, to make runs observably slow (cancellation tests). */
  delayMs?: number;
}

export interface ScriptedFailure {
  status: number;
  message?: string;
}

export interface OpenAiTestServer {
  /** http://127.0.0.1:PORT/v1, what an open_ai connection's base_url wants. */
  readonly baseUrl: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  setResponder(responder: Responder): void;
  setDelay(delayMs: number): void;
  /** The next `count` completion requests fail with this status (then normal answers resume). */
  failNext(failure: ScriptedFailure, count?: number): void;
  /** Forget recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * The default answer: a keyword classifier over the prompt's LAST message (the user's text, so
 * the system prompt's list of labels does not vote). Good enough for classification examples; a
 * test that needs something else passes its own responder.
 */
export const keywordLabelResponder: Responder = ({ messages, promptText }) => {
  const last = messages.length > 0 ? contentText(messages[messages.length - 1]!) : promptText;
  return labelFor(last);
};

const LABEL_KEYWORDS: Array<[string, RegExp]> = [
  ['billing', /\b(charged?|refund|invoice|price|payment|billed|renewal|subscription)\b/i],
  ['shipping', /\b(package|tracking|deliver(y)?|parcel|courier|order)\b/i],
  ['account', /\b(password|account|username|e-?mail|profile|locked)\b/i],
  ['technical', /\b(crash(es)?|error|slow|freez(e|ing)|sync|login|corrupted|upload(ing)?)\b/i],
];

export function labelFor(text: string): string {
  for (const [label, pattern] of LABEL_KEYWORDS) if (pattern.test(text)) return label;
  return 'other';
}

/** Crude but stable token count: whitespace-separated words. */
export function countTokens(text: string): number {
  const words = text.trim().split(/\s+/).filter(Boolean);
  return words.length;
}

export async function startOpenAiServer(options: OpenAiServerOptions = {}): Promise<OpenAiTestServer> {
  let responder = options.responder ?? keywordLabelResponder;
  let delayMs = options.delayMs ?? 0;
  const scriptedFailures: ScriptedFailure[] = [];
  const requests: RecordedRequest[] = [];
  let nextId = 1;

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      // A harness bug must not turn into a 500 that promptflow-tools retries for minutes: 400.
      sendJson(res, 400, errorBody(`test server error: ${String(error)}`, 'invalid_request_error'));
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) {
      sendJson(res, 200, { object: 'list', data: [{ id: 'test-model', object: 'model', owned_by: 'llmops-tests' }] });
      return;
    }
    const kind = routeKind(req.method, path);
    if (!kind) {
      sendJson(res, 404, errorBody(`no route ${req.method} ${path}`, 'invalid_request_error'));
      return;
    }

    const raw = await readBody(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      sendJson(res, 400, errorBody('request body is not a JSON object', 'invalid_request_error'));
      return;
    }
    const body = parsed as Record<string, unknown>;
    const messages = kind === 'chat' ? ((body.messages as ChatMessage[] | undefined) ?? []) : [];
    const promptText = kind === 'chat' ? messages.map(contentText).join('\n') : promptOf(body);
    requests.push({
      path,
      authorization: req.headers.authorization,
      body,
      promptText,
      receivedAt: Date.now(),
    });

    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));

    const failure = scriptedFailures.shift();
    if (failure) {
      sendJson(res, failure.status, errorBody(failure.message ?? `scripted failure ${failure.status}`, 'server_error'));
      return;
    }
    if (body.stream === true) {
      // promptflow's llm tool only streams when a flow asks for it; none of ours do.
      sendJson(res, 400, errorBody('streaming is not supported by the test server', 'invalid_request_error'));
      return;
    }

    const model = typeof body.model === 'string' ? body.model : 'test-model';
    const answer = responder({ promptText, messages, model, body });
    const usage = {
      prompt_tokens: countTokens(promptText),
      completion_tokens: countTokens(answer),
      total_tokens: countTokens(promptText) + countTokens(answer),
    };
    const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-test-${nextId++}`;
    const created = Math.floor(Date.now() / 1000);
    if (kind === 'chat') {
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop', logprobs: null }],
        usage,
      });
    } else {
      sendJson(res, 200, {
        id,
        object: 'text_completion',
        created,
        model,
        choices: [{ index: 0, text: answer, finish_reason: 'stop', logprobs: null }],
        usage,
      });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    setResponder(next) {
      responder = next;
    },
    setDelay(next) {
      delayMs = next;
    },
    failNext(failure, count = 1) {
      for (let i = 0; i < count; i++) scriptedFailures.push(failure);
    },
    reset() {
      requests.length = 0;
      scriptedFailures.length = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

function routeKind(method: string | undefined, path: string): 'chat' | 'completion' | undefined {
  if (method !== 'POST') return undefined;
  // The OpenAI client appends /chat/completions to base_url; accept the path with or without /v1.
  if (path === '/v1/chat/completions' || path === '/chat/completions') return 'chat';
  if (path === '/v1/completions' || path === '/completions') return 'completion';
  return undefined;
}

function contentText(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  if (Array.isArray(message.content)) return message.content.map((part) => part.text ?? '').join('');
  return '';
}

function promptOf(body: Record<string, unknown>): string {
  const prompt = body.prompt;
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt)) return prompt.map(String).join('\n');
  return '';
}

function errorBody(message: string, type: string) {
  return { error: { message, type, param: null, code: null } };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
