import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commentMarker, createGitHubPullRequestComments, upsertPullRequestComment } from '@llmops/core/github/pull-request-comments';
import { GitHubApiError, nextPageUrl } from '@llmops/core/github/rest';
import { planPullRequestComment, pullRequestFromEnv } from '@llmops/core/github/pull-request';
import { GitHubApiServer } from '../harness/github-api-server.js';

// A canary: if it shows up in any error text, the token leaked.
const TOKEN = 'ghs_CANARY0123456789abcdefghijklmnopqrstu';
const MARKER_LINE = '<!-- llmops:evaluate -->';

let server: GitHubApiServer;
beforeEach(async () => {
  server = await new GitHubApiServer({ token: TOKEN, repository: 'octo/flows', pullNumbers: [7] }).start();
});
afterEach(async () => {
  await server.stop();
});

const client = (overrides: Partial<Parameters<typeof createGitHubPullRequestComments>[0]> = {}) =>
  createGitHubPullRequestComments({ token: TOKEN, apiUrl: server.url, repository: 'octo/flows', pullNumber: 7, ...overrides });

async function failureOf(promise: Promise<unknown>): Promise<GitHubApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GitHubApiError);
    return error as GitHubApiError;
  }
  throw new Error('expected a GitHubApiError');
}

describe('upsertPullRequestComment against the GitHub API double', () => {
  it('creates the comment once, then updates the same comment in place', async () => {
    server.seedComment(7, 'LGTM');
    const first = await upsertPullRequestComment(client(), 'evaluate', '## Evaluation\nv1');
    expect(first.action).toBe('created');
    const second = await upsertPullRequestComment(client(), 'evaluate', '## Evaluation\nv2');
    expect(second).toEqual({ action: 'updated', id: first.id });

    expect(server.commentsOn(7).map((comment) => comment.body)).toEqual(['LGTM', `${MARKER_LINE}\n## Evaluation\nv2`]);
    expect(server.requests.map((request) => `${request.method} ${request.url} ${request.status}`)).toEqual([
      'GET /repos/octo/flows/issues/7/comments?per_page=100 200',
      'POST /repos/octo/flows/issues/7/comments 201',
      'GET /repos/octo/flows/issues/7/comments?per_page=100 200',
      `PATCH /repos/octo/flows/issues/comments/${first.id} 200`,
    ]);
    const headers = server.requests[1]!.headers;
    expect(headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(headers.accept).toBe('application/vnd.github+json');
    expect(headers['x-github-api-version']).toBe('2022-11-28');
    expect(headers['user-agent']).toBe('llmops');
    expect(server.requests[1]!.body).toEqual({ body: `${MARKER_LINE}\n## Evaluation\nv1` });
  });

  it('follows Link pagination and finds our comment on page 2', async () => {
    for (let index = 0; index < 120; index++) server.seedComment(7, `comment ${index}`);
    const ours = server.seedComment(7, `${MARKER_LINE}\nold report`, 'github-actions[bot]');
    for (let index = 0; index < 30; index++) server.seedComment(7, `later ${index}`);

    expect((await client().list()).length).toBe(151);
    const result = await upsertPullRequestComment(client(), 'evaluate', 'new report');
    expect(result).toEqual({ action: 'updated', id: ours.id });
    expect(server.commentsOn(7).length).toBe(151);
    expect(server.requests.filter((request) => request.method === 'GET').map((request) => request.url)).toEqual([
      '/repos/octo/flows/issues/7/comments?per_page=100',
      '/repos/octo/flows/issues/7/comments?per_page=100&page=2',
      '/repos/octo/flows/issues/7/comments?per_page=100',
      '/repos/octo/flows/issues/7/comments?per_page=100&page=2',
    ]);
  });

  it('only takes a comment that starts with the marker as ours', async () => {
    server.seedComment(7, `Why does the bot write ${MARKER_LINE} in its comments?`);
    const result = await upsertPullRequestComment(client(), 'evaluate', 'report');
    expect(result.action).toBe('created');
    // A different marker is a different comment.
    expect((await upsertPullRequestComment(client(), 'evaluate-prod', 'report')).action).toBe('created');
    expect(server.commentsOn(7)).toHaveLength(3);
  });

  it('reports a wrong token in one line, without the token', async () => {
    const wrongToken = `${TOKEN}-wrong`;
    const error = await failureOf(upsertPullRequestComment(client({ token: wrongToken }), 'evaluate', 'x'));
    expect(error.status).toBe(401);
    expect(error.message).toBe(
      'GitHub API GET /repos/octo/flows/issues/7/comments?per_page=100 failed: 401 Unauthorized: Bad credentials; the token is invalid or has expired',
    );
    expect(`${error.message}${String(error)}${error.stack}`).not.toContain(TOKEN);
    expect(server.requests.at(-1)!.status).toBe(401);
  });

  it('explains 404 and 422, and redacts the token even if the server echoes it', async () => {
    const missing = await failureOf(client({ pullNumber: 8 }).create('x'));
    expect(missing.message).toBe(
      'GitHub API POST /repos/octo/flows/issues/8/comments failed: 404 Not Found: Not Found; the repository or pull request does not exist, or the token cannot see it',
    );
    const tooLong = await failureOf(client().create('x'.repeat(70_000)));
    expect(tooLong.message).toBe(
      'GitHub API POST /repos/octo/flows/issues/7/comments failed: 422 Unprocessable Entity: Validation Failed (body is too long (maximum is 65536 characters))',
    );

    const echoing: typeof fetch = async () =>
      new Response(JSON.stringify({ message: `token ${TOKEN} lacks scope\nsecond line` }), { status: 403, statusText: 'Forbidden' });
    const forbidden = await failureOf(client({ fetch: echoing }).list());
    expect(forbidden.message).toBe(
      "GitHub API GET /repos/octo/flows/issues/7/comments?per_page=100 failed: 403 Forbidden: token *** lacks scope second line; the token may not write comments: give the job 'permissions: pull-requests: write'",
    );
  });

  it('reports an unreachable API as a GitHubApiError', async () => {
    const comments = client();
    await server.stop();
    const error = await failureOf(comments.list());
    expect(error.status).toBeUndefined();
    expect(error.message).toMatch(/^GitHub API GET \/repos\/octo\/flows\/issues\/7\/comments\?per_page=100 failed: fetch failed \(.*ECONNREFUSED.*\)$/);
    expect(error.message).not.toContain(TOKEN);
  });

  it('does not send the token to another host named by a Link header', async () => {
    const calls: string[] = [];
    const redirecting: typeof fetch = async (input) => {
      calls.push(String(input));
      return new Response('[]', { status: 200, headers: { link: '<https://evil.example/page2>; rel="next"' } });
    };
    const error = await failureOf(client({ fetch: redirecting }).list());
    expect(error.message).toContain('pointed its next page to another host (https://evil.example); not following it');
    expect(calls).toHaveLength(1);
  });
});

describe('helpers', () => {
  it('parses Link headers', () => {
    expect(nextPageUrl('<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"')).toBe(
      'https://api.github.com/x?page=2',
    );
    expect(nextPageUrl('<https://api.github.com/x?page=1>; rel="prev"')).toBeUndefined();
    expect(nextPageUrl(null)).toBeUndefined();
  });

  it('refuses markers that would break out of the HTML comment', () => {
    expect(commentMarker('evaluate')).toBe(MARKER_LINE);
    expect(() => commentMarker('a -- b')).toThrow(TypeError);
    expect(() => commentMarker('x-->')).toThrow(TypeError);
  });
});

describe('pull request from the environment', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await fs.mkdtemp(path.join(os.tmpdir(), 'llmops-event-'));
  });
  afterEach(async () => {
    await fs.rm(folder, { recursive: true, force: true });
  });

  async function event(payload: unknown): Promise<string> {
    const file = path.join(folder, 'event.json');
    await fs.writeFile(file, typeof payload === 'string' ? payload : JSON.stringify(payload));
    return file;
  }

  it('reads pull_request.number, GITHUB_REPOSITORY and GITHUB_API_URL', async () => {
    const GITHUB_EVENT_PATH = await event({ action: 'synchronize', pull_request: { number: 42 } });
    expect(await pullRequestFromEnv({ GITHUB_EVENT_PATH, GITHUB_REPOSITORY: 'octo/flows', GITHUB_API_URL: 'https://ghe.example/api/v3' })).toEqual({
      repository: 'octo/flows',
      pullNumber: 42,
      apiUrl: 'https://ghe.example/api/v3',
    });
    expect(await pullRequestFromEnv({ GITHUB_EVENT_PATH, GITHUB_REPOSITORY: 'octo/flows' })).toMatchObject({ apiUrl: 'https://api.github.com' });
  });

  it('accepts a comment on a pull request, and nothing else', async () => {
    const onPullRequest = await event({ issue: { number: 5, pull_request: { url: 'x' } }, repository: { full_name: 'octo/flows' } });
    expect(await pullRequestFromEnv({ GITHUB_EVENT_PATH: onPullRequest })).toMatchObject({ repository: 'octo/flows', pullNumber: 5 });
    expect(await pullRequestFromEnv({ GITHUB_EVENT_PATH: await event({ issue: { number: 5 } }), GITHUB_REPOSITORY: 'o/r' })).toBeUndefined();
    expect(await pullRequestFromEnv({ GITHUB_EVENT_PATH: await event({ ref: 'refs/heads/main' }), GITHUB_REPOSITORY: 'o/r' })).toBeUndefined();
    expect(await pullRequestFromEnv({ GITHUB_EVENT_PATH: await event('not json'), GITHUB_REPOSITORY: 'o/r' })).toBeUndefined();
    expect(await pullRequestFromEnv({ GITHUB_EVENT_PATH: path.join(folder, 'missing.json'), GITHUB_REPOSITORY: 'o/r' })).toBeUndefined();
    expect(await pullRequestFromEnv({})).toBeUndefined();
  });

  it('skips commenting without a pull request or without a token', () => {
    const pullRequest = { repository: 'octo/flows', pullNumber: 1, apiUrl: 'https://api.github.com' };
    expect(planPullRequestComment(TOKEN, undefined)).toEqual({ action: 'skip', reason: 'not running for a pull request' });
    expect(planPullRequestComment('', pullRequest)).toEqual({
      action: 'skip',
      reason: "no GitHub token (set the 'github-token' input to comment on the pull request)",
    });
    expect(planPullRequestComment(undefined, pullRequest).action).toBe('skip');
    expect(planPullRequestComment(TOKEN, pullRequest)).toEqual({ action: 'post', token: TOKEN, pullRequest });
  });
});
