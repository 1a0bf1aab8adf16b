/**
 * smoke-test through its three faces, against a real prompt flow server (`pf flow serve` of the
 * offline example, started after the stage so readiness waiting is real) and against a loopback
 * HTTP server scripted to answer what deployed endpoints answer while they come up or break.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runAzurePipelinesTask, runCli, runGitHubAction } from '../harness/runner-faces.js';
import { describeWithPromptflow, tempDir, venvPython } from '../promptflow/support.js';

const example = path.join(repoRoot, 'examples/offline-classification');
const sampleRequest = path.join(example, 'sample-request.json');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describeWithPromptflow('smoke-test against the real prompt flow server', () => {
  let server: ChildProcess | undefined;
  let port: number;
  let home: string;

  beforeAll(async () => {
    port = await freePort();
    home = await tempDir('smoke-pf-home');
  });
  afterAll(() => {
    server?.kill('SIGKILL');
  });

  function startServer(): ChildProcess {
    return spawn(
      path.join(path.dirname(venvPython), 'pf'),
      ['flow', 'serve', '--source', path.join(example, 'flows/classify'), '--port', String(port), '--host', '127.0.0.1', '--skip-open-browser'],
      {
        env: { ...process.env, PF_HOME_DIRECTORY: home, PF_DISABLE_TRACING: 'true', PF_TRACING_SKIP_LOCAL_SETUP: 'true' },
        stdio: 'ignore',
      },
    );
  }

  it('waits for the server to come up, then passes on the flow outputs (CLI)', async () => {
    const url = `http://127.0.0.1:${port}/score`;
    // The stage starts first: the port refuses connections until promptflow is listening.
    const pending = runCli(['smoke-test', '--endpoint-url', url, '--request-file', sampleRequest, '--ready-timeout-seconds', '120', '--json'], {
      timeoutMs: 180_000,
    });
    await sleep(1_500);
    server = startServer();
    const result = await pending;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/endpoint not ready \(cannot connect \(ECONNREFUSED\)\)/);
    const outcomes = (JSON.parse(result.stdout) as { result: unknown[] }).result;
    expect(outcomes).toEqual([
      { request: 'request 1', status: 200, latencyMs: expect.any(Number), ok: true, outputs: ['category', 'normalized'] },
    ]);
    expect(result.summary).toContain('1 of 1 passed');
  });

  it('gives the same verdict through the GitHub action and the Azure DevOps task', async () => {
    const inputs = { 'endpoint-url': `http://127.0.0.1:${port}/score`, 'request-file': sampleRequest };
    const [github, azure] = await Promise.all([runGitHubAction('smoke-test', inputs), runAzurePipelinesTask('smoke-test', inputs)]);
    for (const face of [github, azure]) {
      expect(face.exitCode, face.stdout + face.stderr).toBe(0);
      expect(JSON.parse(face.outputs.result!)).toEqual([expect.objectContaining({ status: 200, ok: true, outputs: ['category', 'normalized'] })]);
      expect(face.summary).toContain('| request 1 | 200 |');
    }
    expect(azure.taskResult).toBe('Succeeded');
  });
});

/** What the scripted server receives, and how it answers each successive request. */
interface Scripted {
  url: string;
  received: { headers: http.IncomingHttpHeaders; body: string }[];
  answers: ((response: http.ServerResponse) => void | Promise<void>)[];
}

describe('smoke-test against scripted endpoints', () => {
  let server: http.Server;
  let scripted: Scripted;
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir('smoke');
    scripted = { url: '', received: [], answers: [] };
    server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        scripted.received.push({ headers: request.headers, body });
        const answer = scripted.answers.shift() ?? json(200, { category: 'billing' });
        void answer(response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    scripted.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/score`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  afterEach(() => {
    scripted.received = [];
    scripted.answers = [];
  });

  const json =
    (status: number, body: unknown, headers: Record<string, string> = {}) =>
    (response: http.ServerResponse) => {
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };

  async function requestFile(name: string, text: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  }

  it('sends the key as a bearer token and the deployment header, and never prints the key', async () => {
    const key = `canary-endpoint-key-${randomBytes(8).toString('hex')}`;
    const inputs = { 'endpoint-url': scripted.url, 'endpoint-key': key, deployment: 'green', 'request-file': sampleRequest };
    const result = await runGitHubAction('smoke-test', inputs);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(scripted.received).toHaveLength(1);
    expect(scripted.received[0]!.headers.authorization).toBe(`Bearer ${key}`);
    expect(scripted.received[0]!.headers['azureml-model-deployment']).toBe('green');
    expect(JSON.parse(scripted.received[0]!.body)).toEqual({ text: 'I was charged twice on my last invoice.' });
    expect(result.stdout.split('\n').filter((line) => line.includes(key))).toEqual([`::add-mask::${key}`]);
    expect(result.stderr + result.summary).not.toContain(key);
  });

  it('waits out 503 and 404 while the endpoint comes up, honouring Retry-After', async () => {
    scripted.answers.push(json(503, { error: 'warming up' }, { 'Retry-After': '0' }), json(404, { error: 'no deployment yet' }));
    const result = await runCli(['smoke-test', '--endpoint-url', scripted.url, '--request-file', sampleRequest, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(scripted.received).toHaveLength(3);
    expect(result.stderr).toContain('endpoint not ready (HTTP 503); trying again in 0 s');
    expect(result.stderr).toContain('endpoint not ready (HTTP 404); trying again in 1 s');
  });

  it('fails in one line on a server error, and still publishes the outcomes', async () => {
    scripted.answers.push(json(500, { error: { code: 'UserError', message: 'Execution failure in classify: boom' } }));
    const result = await runGitHubAction('smoke-test', { 'endpoint-url': scripted.url, 'request-file': sampleRequest, 'ready-timeout-seconds': '0' });
    expect(result.exitCode).toBe(1);
    expect(result.annotations.map((annotation) => annotation.message)).toEqual([
      '1 of 1 smoke request(s) failed; request 1: HTTP 500: {"error":{"code":"UserError","message":"Execution failure in classify: boom"}}',
    ]);
    expect(JSON.parse(result.outputs.result!)).toEqual([
      expect.objectContaining({ request: 'request 1', status: 500, ok: false }),
    ]);
    expect(result.summary).toContain('0 of 1 passed');
  });

  it('fails an answer slower than max-latency-ms without waiting for it', async () => {
    scripted.answers.push(async (response) => {
      await sleep(2_000);
      json(200, { category: 'billing' })(response);
    });
    const started = Date.now();
    const result = await runCli(['smoke-test', '--endpoint-url', scripted.url, '--request-file', sampleRequest, '--max-latency-ms', '300']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('1 of 1 smoke request(s) failed; request 1: no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('judges every line of a .jsonl file, naming the one whose answer is not flow outputs', async () => {
    const file = await requestFile('requests.jsonl', '{"text": "refund please"}\n\n{"text": "reset my password"}\n{"text": "hi"}\n');
    scripted.answers.push(json(200, { category: 'billing' }), (response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end('<html>Application Gateway</html>');
    });
    const result = await runCli(['smoke-test', '--endpoint-url', scripted.url, '--request-file', file]);
    expect(result.exitCode).toBe(1);
    expect(scripted.received).toHaveLength(3);
    expect(result.stderr).toContain('1 of 3 smoke request(s) failed; line 3: the answer is not JSON: <html>Application Gateway</html>');
  });

  it('refuses bad input in one located line before sending anything', async () => {
    const cases: [string[], string][] = [
      [['--request-file', await requestFile('broken.json', '{\n  "text": "a",\n  "x": \n}\n')], 'broken.json:4:1: JSON syntax error: value expected'],
      [['--request-file', await requestFile('list.json', '[{"text": "a"}, 3]')], "list.json:1:17: [1]: a request must be a JSON object of flow inputs"],
      [['--request-file', await requestFile('lines.jsonl', '{"text": "a"}\n{"text": \n')], 'lines.jsonl:2:1: not a JSON line: '],
      [['--request-file', path.join(dir, 'missing.json')], `request file not found: ${path.join(dir, 'missing.json')}`],
      [['--endpoint-url', 'ftp://127.0.0.1/score'], "endpoint-url: 'ftp://127.0.0.1/score' is not an http or https URL"],
      [['--endpoint-url', 'https://user:pass@example.com/score'], 'endpoint-url: put credentials in endpoint-key, not in the URL'],
    ];
    for (const [args, expected] of cases) {
      const full = [
        ...(args.includes('--endpoint-url') ? [] : ['--endpoint-url', scripted.url]),
        ...(args.includes('--request-file') ? [] : ['--request-file', sampleRequest]),
        ...args,
      ];
      const result = await runCli(['smoke-test', ...full]);
      expect(result.exitCode, args.join(' ')).toBe(1);
      // One line, nothing before it: input is checked before a request is sent or logged.
      expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
      expect(result.stderr).toContain(expected);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(scripted.received).toEqual([]);
  });
});
