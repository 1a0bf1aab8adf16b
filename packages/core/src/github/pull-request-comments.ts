/**
 * Pull request comments through the GitHub REST API, with nothing but fetch: a PR comment is
 * three endpoints, and a client library would pull a CI-runner dependency into core.
 *
 * PR conversation comments are issue comments in the REST API:
 *   GET   /repos/{owner}/{repo}/issues/{number}/comments   (paginated, per_page <= 100, Link header)
 *   POST  /repos/{owner}/{repo}/issues/{number}/comments   -> 201
 *   PATCH /repos/{owner}/{repo}/issues/comments/{id}       -> 200
 */

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
const API_VERSION = '2022-11-28';
const PAGE_SIZE = 100;
const REQUEST_TIMEOUT_MS = 30_000;

export interface PullRequestComment {
  id: number;
  body: string;
}

/** The port the evaluate stage posts through; tests and other forges can plug in their own. */
export interface PullRequestComments {
  /** Every comment of the pull request, oldest first. */
  list(): Promise<PullRequestComment[]>;
  create(body: string): Promise<{ id: number }>;
  update(id: number, body: string): Promise<void>;
}

/**
 * The GitHub API refused or could not be reached. Posting a comment is a courtesy, not the
 * stage's outcome: callers log this as a warning and go on. The message is one line and never
 * contains the token.
 */
export class GitHubApiError extends Error {
  override readonly name = 'GitHubApiError';
  constructor(
    message: string,
    /** The HTTP status, when there was a response. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface GitHubPullRequestCommentsOptions {
  token: string;
  /** GITHUB_API_URL: https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server. */
  apiUrl?: string;
  /** `owner/name` (GITHUB_REPOSITORY). */
  repository: string;
  pullNumber: number;
  fetch?: typeof fetch;
  userAgent?: string;
  signal?: AbortSignal;
}

export function createGitHubPullRequestComments(options: GitHubPullRequestCommentsOptions): PullRequestComments {
  const { token, repository, pullNumber } = options;
  if (!/^[^/\s]+\/[^/\s]+$/.test(repository)) throw new TypeError(`repository must be 'owner/name', got '${repository}'`);
  if (!Number.isSafeInteger(pullNumber) || pullNumber <= 0) throw new TypeError(`pullNumber must be a positive integer, got ${pullNumber}`);

  const apiUrl = (options.apiUrl || DEFAULT_GITHUB_API_URL).replace(/\/+$/, '');
  const apiOrigin = new URL(apiUrl).origin;
  const fetchImpl = options.fetch ?? fetch;
  const [owner, name] = repository.split('/').map(encodeURIComponent) as [string, string];
  const commentsPath = `/repos/${owner}/${name}/issues/${pullNumber}/comments`;

  const redact = (text: string) => (token ? text.split(token).join('***') : text);

  async function request(method: string, url: string, body?: unknown): Promise<Response> {
    // What error messages show: the path, not the full URL (which may carry a GHES host name the user knows anyway).
    const shownPath = url.startsWith(apiUrl) ? url.slice(apiUrl.length) : url;
    const signals = [AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...(options.signal ? [options.signal] : [])];
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/vnd.github+json',
          'X-GitHub-Api-Version': API_VERSION,
          // GitHub refuses requests without a User-Agent (403).
          'User-Agent': options.userAgent ?? 'llmops',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      throw new GitHubApiError(redact(oneLine(`GitHub API ${method} ${shownPath} failed: ${(error as Error).message}${cause ? ` (${cause})` : ''}`)));
    }
    if (!response.ok) {
      throw new GitHubApiError(redact(oneLine(`GitHub API ${method} ${shownPath} failed: ${await describeFailure(response)}`)), response.status);
    }
    return response;
  }

  async function json<T>(response: Response, method: string, url: string): Promise<T> {
    try {
      return (await response.json()) as T;
    } catch {
      throw new GitHubApiError(`GitHub API ${method} ${url.slice(apiUrl.length)} answered ${response.status} with a body that is not JSON`, response.status);
    }
  }

  return {
    async list() {
      const comments: PullRequestComment[] = [];
      let url: string | undefined = `${apiUrl}${commentsPath}?per_page=${PAGE_SIZE}`;
      while (url) {
        const response = await request('GET', url);
        const page = await json<{ id: number; body?: string | null }[]>(response, 'GET', url);
        if (!Array.isArray(page)) throw new GitHubApiError(`GitHub API GET ${commentsPath} did not answer with a list of comments`, response.status);
        comments.push(...page.map((comment) => ({ id: comment.id, body: comment.body ?? '' })));
        url = nextPageUrl(response.headers.get('link'));
        // The token goes wherever the next link points: only ever to the API it was meant for.
        if (url && new URL(url).origin !== apiOrigin) {
          throw new GitHubApiError(`GitHub API GET ${commentsPath} pointed its next page to another host (${new URL(url).origin}); not following it`);
        }
      }
      return comments;
    },
    async create(body) {
      const url = `${apiUrl}${commentsPath}`;
      const created = await json<{ id: number }>(await request('POST', url, { body }), 'POST', url);
      return { id: created.id };
    },
    async update(id, body) {
      await request('PATCH', `${apiUrl}/repos/${owner}/${name}/issues/comments/${id}`, { body });
    },
  };
}

/** `<https://...?page=2>; rel="next", <...>; rel="last"` -> the next page's URL. */
export function nextPageUrl(linkHeader: string | null): string | undefined {
  if (!linkHeader) return undefined;
  for (const part of linkHeader.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part);
    if (match && match[2]!.split(/\s+/).includes('next')) return match[1];
  }
  return undefined;
}

/** Status, GitHub's own message, and what a user can do about the usual refusals. */
async function describeFailure(response: Response): Promise<string> {
  let apiMessage = '';
  try {
    const body = (await response.json()) as { message?: unknown; errors?: { message?: unknown }[] };
    if (typeof body.message === 'string') apiMessage = body.message;
    const details = (body.errors ?? []).map((error) => error.message).filter((message) => typeof message === 'string');
    if (details.length > 0) apiMessage += ` (${details.join('; ')})`;
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}${apiMessage ? `: ${apiMessage}` : ''}`;
  switch (response.status) {
    case 401:
      return `${status}; the token is invalid or has expired`;
    case 403:
      if (response.headers.get('x-ratelimit-remaining') === '0') return `${status}; the API rate limit is exhausted`;
      return `${status}; the token may not write comments: give the job 'permissions: pull-requests: write'`;
    case 404:
      return `${status}; the repository or pull request does not exist, or the token cannot see it`;
    default:
      return status;
  }
}

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ');

/** The hidden line that tells our comment apart from everyone else's. */
export function commentMarker(marker: string): string {
  // It sits inside an HTML comment: `--` or `>` would end the comment early.
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/.test(marker) || marker.includes('--')) {
    throw new TypeError(`comment marker must be letters, digits and . _ : / - (no '--'), got '${marker}'`);
  }
  return `<!-- llmops:${marker} -->`;
}

/**
 * Update our comment in place, or create it the first time, so a PR collects one evaluation
 * comment instead of one per push. Ours is the oldest comment whose body STARTS with the
 * marker: a report quoting the marker further down, or another comment mentioning it, is not
 * ours. The marker is prepended to `body`.
 */
export async function upsertPullRequestComment(
  comments: PullRequestComments,
  marker: string,
  body: string,
): Promise<{ action: 'created' | 'updated'; id: number }> {
  const markerLine = commentMarker(marker);
  const fullBody = `${markerLine}\n${body}`;
  const existing = (await comments.list()).find((comment) => comment.body.trimStart().startsWith(markerLine));
  if (existing) {
    await comments.update(existing.id, fullBody);
    return { action: 'updated', id: existing.id };
  }
  const { id } = await comments.create(fullBody);
  return { action: 'created', id };
}
