/**
 * The few GitHub REST calls llmops makes (pull request comments, approval issues), with nothing
 * but fetch: the headers GitHub asks for, pagination over Link headers that never sends the
 * token to another host, and one-line errors that never contain the token.
 */

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
const API_VERSION = '2022-11-28';
const PAGE_SIZE = 100;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The GitHub API refused or could not be reached. The message is one line and never contains
 * the token.
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

export interface GitHubRestOptions {
  token: string;
  /** GITHUB_API_URL: https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server. */
  apiUrl?: string;
  fetch?: typeof fetch;
  userAgent?: string;
  signal?: AbortSignal;
  /** What a 403 most likely means for these calls, e.g. "give the job 'permissions: issues: write'". */
  permissionHint: string;
  /** What a 404 most likely means for these calls. */
  notFoundHint: string;
}

export interface GitHubRest {
  /** A JSON request to `path` (below the API URL); the parsed answer. */
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Every item of a list endpoint, following its Link headers. */
  list<T>(path: string): Promise<T[]>;
  /** GET a resource that may not exist: undefined on 404. */
  find<T>(path: string): Promise<T | undefined>;
}

export function createGitHubRest(options: GitHubRestOptions): GitHubRest {
  const { token } = options;
  const apiUrl = (options.apiUrl || DEFAULT_GITHUB_API_URL).replace(/\/+$/, '');
  const apiOrigin = new URL(apiUrl).origin;
  const fetchImpl = options.fetch ?? fetch;
  const redact = (text: string) => (token ? text.split(token).join('***') : text);

  async function request(method: string, url: string, body?: unknown, accept404 = false): Promise<Response> {
    // What error messages show: the path, not the full URL.
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
    if (!response.ok && !(accept404 && response.status === 404)) {
      throw new GitHubApiError(redact(oneLine(`GitHub API ${method} ${shownPath} failed: ${await describeFailure(response, options)}`)), response.status);
    }
    return response;
  }

  async function parse<T>(response: Response, method: string, url: string): Promise<T> {
    try {
      return (await response.json()) as T;
    } catch {
      throw new GitHubApiError(`GitHub API ${method} ${url.slice(apiUrl.length)} answered ${response.status} with a body that is not JSON`, response.status);
    }
  }

  return {
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      const url = `${apiUrl}${path}`;
      return parse<T>(await request(method, url, body), method, url);
    },
    async list<T>(path: string): Promise<T[]> {
      const items: T[] = [];
      let url: string | undefined = `${apiUrl}${path}${path.includes('?') ? '&' : '?'}per_page=${PAGE_SIZE}`;
      while (url) {
        const response = await request('GET', url);
        const page = await parse<T[]>(response, 'GET', url);
        if (!Array.isArray(page)) throw new GitHubApiError(`GitHub API GET ${path} did not answer with a list`, response.status);
        items.push(...page);
        url = nextPageUrl(response.headers.get('link'));
        // The token goes wherever the next link points: only ever to the API it was meant for.
        if (url && new URL(url).origin !== apiOrigin) {
          throw new GitHubApiError(`GitHub API GET ${path} pointed its next page to another host (${new URL(url).origin}); not following it`);
        }
      }
      return items;
    },
    async find<T>(path: string): Promise<T | undefined> {
      const url = `${apiUrl}${path}`;
      const response = await request('GET', url, undefined, true);
      if (response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      return parse<T>(response, 'GET', url);
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
async function describeFailure(response: Response, hints: Pick<GitHubRestOptions, 'permissionHint' | 'notFoundHint'>): Promise<string> {
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
      return `${status}; ${hints.permissionHint}`;
    case 404:
      return `${status}; ${hints.notFoundHint}`;
    default:
      return status;
  }
}

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ');

/** `owner/name` split and URL-encoded for paths; a TypeError for anything else. */
export function repositoryPath(repository: string): string {
  if (!/^[^/\s]+\/[^/\s]+$/.test(repository)) throw new TypeError(`repository must be 'owner/name', got '${repository}'`);
  const [owner, name] = repository.split('/').map(encodeURIComponent) as [string, string];
  return `/repos/${owner}/${name}`;
}
