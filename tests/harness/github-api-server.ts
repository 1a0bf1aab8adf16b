/**
 * A loopback test double of the GitHub REST endpoints llmops uses, following the documented
 * contract (docs.github.com/rest, API version 2022-11-28). For the PR comment
 * (docs.github.com/rest/issues/comments):
 *
 *   GET   /repos/{owner}/{repo}/issues/{issue_number}/comments  200, JSON array, oldest first;
 *         per_page (default 30, max 100) and page; a Link header with rel="next"/"last" (and
 *         "first"/"prev" after page 1) when there is more than one page
 *   POST  /repos/{owner}/{repo}/issues/{issue_number}/comments  201, the comment, Location header;
 *         422 when body is missing or longer than 65536 characters
 *   PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}    200, the updated comment
 *
 *
 * For the approval gate:
 *   POST  /repos/{owner}/{repo}/issues                   201, the issue (number, html_url, state open);
 *         422 without a title
 *   PATCH /repos/{owner}/{repo}/issues/{issue_number}    200, the issue with the new state / state_reason
 *   GET   /repos/{owner}/{repo}/commits/{ref}            200 with author / committer logins; 422 for an unknown sha
 *   GET   /orgs/{org}/teams/{team_slug}/memberships/{username}   200 {state, role}, 404 for a non-member
 *
 * Authentication as GitHub does it: `Authorization: Bearer <token>` or `token <token>`; a wrong
 * token is 401 "Bad credentials"; a request without User-Agent is 403. Unknown repositories,
 * issues and comments are 404. Every request is recorded for assertions.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body?: unknown;
  status: number;
}

export interface StoredComment {
  id: number;
  issue: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoredIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  stateReason?: string;
}

export interface GitHubApiServerOptions {
  /** The token requests must carry. */
  token: string;
  /** `owner/name` of the one repository that exists. */
  repository: string;
  /** Issue/PR numbers that exist. */
  pullNumbers?: number[];
  /** The login comments created with the token are attributed to. */
  login?: string;
  /** Commits that exist: sha -> the logins of their author and committer. */
  commits?: Record<string, { author: string; committer: string }>;
  /** Teams that exist: `org/slug` -> logins of their active members. */
  teams?: Record<string, string[]>;
}

const MAX_BODY_CHARACTERS = 65536;
const DEFAULT_PER_PAGE = 30;
const MAX_PER_PAGE = 100;

export class GitHubApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly comments: StoredComment[] = [];
  readonly issues: StoredIssue[] = [];
  private nextIssueNumber = 100;
  /** Statuses the next requests get instead of their answer (an outage). */
  private outage: number[] = [];
  private nextId = 1_000_000_001;
  private server?: http.Server;
  private clock = Date.parse('2026-01-01T00:00:00Z');

  constructor(readonly options: GitHubApiServerOptions) {}

  /** http://127.0.0.1:PORT, what GITHUB_API_URL would be. */
  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('GitHubApiServer is not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: String(error) }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  }

  /** The next `count` requests get `status` (502, 503 ...) with GitHub's error body, as during an outage. */
  failNext(count: number, status: number): void {
    this.outage.push(...Array.from({ length: count }, () => status));
  }

  /** Put a comment on an issue directly, as someone else might have (not recorded as a request). */
  seedComment(issue: number, body: string, user = 'someone-else'): StoredComment {
    const timestamp = this.tick();
    const comment = { id: this.nextId++, issue, body, user, createdAt: timestamp, updatedAt: timestamp };
    this.comments.push(comment);
    return comment;
  }

  commentsOn(issue: number): StoredComment[] {
    return this.comments.filter((comment) => comment.issue === issue);
  }

  private tick(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    }
    const record: RecordedRequest = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body, status: 0 };
    this.requests.push(record);

    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-api-version-selected': '2022-11-28', ...headers });
      response.end(JSON.stringify(payload));
    };
    const error = (status: number, message: string, extra: Record<string, unknown> = {}) =>
      send(status, { message, documentation_url: 'https://docs.github.com/rest', status: String(status), ...extra });

    const outageStatus = this.outage.shift();
    if (outageStatus !== undefined) return error(outageStatus, 'Server Error');
    if (!request.headers['user-agent']) {
      return error(403, 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.');
    }
    const authorization = request.headers.authorization ?? '';
    const presented = /^(?:Bearer|token) (.+)$/i.exec(authorization)?.[1];
    if (presented !== this.options.token) return error(401, 'Bad credentials');

    const url = new URL(request.url ?? '/', this.url);
    const [owner, repo] = this.options.repository.split('/');
    const listOrCreate = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(url.pathname);
    const update = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(url.pathname);
    const sameRepository = (match: RegExpExecArray) =>
      decodeURIComponent(match[1]!).toLowerCase() === owner!.toLowerCase() && decodeURIComponent(match[2]!).toLowerCase() === repo!.toLowerCase();

    const issues = /^\/repos\/([^/]+)\/([^/]+)\/issues(?:\/(\d+))?$/.exec(url.pathname);
    const commit = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)$/.exec(url.pathname);
    const membership = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(url.pathname);

    if (issues && sameRepository(issues) && !issues[3] && request.method === 'POST') {
      const { title, body: text } = (body ?? {}) as { title?: unknown; body?: unknown };
      if (typeof title !== 'string' || title.trim() === '') {
        return error(422, 'Validation Failed', { errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }] });
      }
      const issue: StoredIssue = { number: this.nextIssueNumber++, title, body: typeof text === 'string' ? text : '', state: 'open' };
      this.issues.push(issue);
      return send(201, this.issueJson(issue), { location: `${this.url}/repos/${owner}/${repo}/issues/${issue.number}` });
    }
    if (issues && sameRepository(issues) && issues[3] && request.method === 'PATCH') {
      const issue = this.issues.find((candidate) => candidate.number === Number(issues[3]));
      if (!issue) return error(404, 'Not Found');
      const { state, state_reason: stateReason } = (body ?? {}) as { state?: unknown; state_reason?: unknown };
      if (state !== undefined && state !== 'open' && state !== 'closed') {
        return error(422, 'Validation Failed', { errors: [{ resource: 'Issue', code: 'invalid', field: 'state' }] });
      }
      if (state) issue.state = state;
      if (typeof stateReason === 'string') issue.stateReason = stateReason;
      return send(200, this.issueJson(issue));
    }
    if (commit && sameRepository(commit) && request.method === 'GET') {
      const found = this.options.commits?.[decodeURIComponent(commit[3]!)];
      if (!found) return error(422, `No commit found for SHA: ${decodeURIComponent(commit[3]!)}`);
      return send(200, { sha: commit[3], author: { login: found.author }, committer: { login: found.committer } });
    }
    if (membership && request.method === 'GET') {
      const team = `${decodeURIComponent(membership[1]!)}/${decodeURIComponent(membership[2]!)}`.toLowerCase();
      const members = Object.entries(this.options.teams ?? {}).find(([name]) => name.toLowerCase() === team)?.[1];
      const login = decodeURIComponent(membership[3]!).toLowerCase();
      if (!members?.some((member) => member.toLowerCase() === login)) return error(404, 'Not Found');
      return send(200, { state: 'active', role: 'member', url: `${this.url}${url.pathname}` });
    }

    if (listOrCreate && sameRepository(listOrCreate)) {
      const issue = Number(listOrCreate[3]);
      const exists = (this.options.pullNumbers ?? [1]).includes(issue) || this.issues.some((candidate) => candidate.number === issue);
      if (!exists) return error(404, 'Not Found');
      if (request.method === 'GET') return this.list(url, issue, send);
      if (request.method === 'POST') {
        const text = (body as { body?: unknown } | undefined)?.body;
        const invalid = this.validateBody(text);
        if (invalid) return error(422, 'Validation Failed', { errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: invalid }] });
        const comment = this.seedComment(issue, text as string, this.options.login ?? 'github-actions[bot]');
        return send(201, this.toJson(comment), { location: `${this.url}/repos/${owner}/${repo}/issues/comments/${comment.id}` });
      }
    }
    if (update && sameRepository(update) && request.method === 'PATCH') {
      const comment = this.comments.find((candidate) => candidate.id === Number(update[3]));
      if (!comment) return error(404, 'Not Found');
      const text = (body as { body?: unknown } | undefined)?.body;
      const invalid = this.validateBody(text);
      if (invalid) return error(422, 'Validation Failed', { errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: invalid }] });
      comment.body = text as string;
      comment.updatedAt = this.tick();
      return send(200, this.toJson(comment));
    }
    return error(404, 'Not Found');
  }

  private validateBody(text: unknown): string | undefined {
    if (typeof text !== 'string') return 'body is missing';
    if (text.length > MAX_BODY_CHARACTERS) return `body is too long (maximum is ${MAX_BODY_CHARACTERS} characters)`;
    return undefined;
  }

  private list(url: URL, issue: number, send: (status: number, payload: unknown, headers?: Record<string, string>) => void): void {
    const perPage = Math.min(MAX_PER_PAGE, Math.max(1, Number(url.searchParams.get('per_page')) || DEFAULT_PER_PAGE));
    const page = Math.max(1, Number(url.searchParams.get('page')) || 1);
    const all = this.commentsOn(issue);
    const lastPage = Math.max(1, Math.ceil(all.length / perPage));
    const items = all.slice((page - 1) * perPage, page * perPage);

    const pageUrl = (number: number) => {
      const link = new URL(url.pathname, this.url);
      link.searchParams.set('per_page', String(perPage));
      link.searchParams.set('page', String(number));
      return link.toString();
    };
    const links: string[] = [];
    if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`);
    if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`);
    if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`);
    send(200, items.map((comment) => this.toJson(comment)), links.length > 0 ? { link: links.join(', ') } : {});
  }

  private issueJson(issue: StoredIssue) {
    const [owner, repo] = this.options.repository.split('/');
    return {
      number: issue.number,
      title: issue.title,
      body: issue.body,
      state: issue.state,
      state_reason: issue.stateReason ?? null,
      url: `${this.url}/repos/${owner}/${repo}/issues/${issue.number}`,
      html_url: `https://github.com/${owner}/${repo}/issues/${issue.number}`,
      user: { login: this.options.login ?? 'github-actions[bot]' },
    };
  }

  private toJson(comment: StoredComment) {
    const [owner, repo] = this.options.repository.split('/');
    return {
      id: comment.id,
      node_id: `IC_${comment.id.toString(36)}`,
      url: `${this.url}/repos/${owner}/${repo}/issues/comments/${comment.id}`,
      html_url: `https://github.com/${owner}/${repo}/pull/${comment.issue}#issuecomment-${comment.id}`,
      issue_url: `${this.url}/repos/${owner}/${repo}/issues/${comment.issue}`,
      body: comment.body,
      user: { login: comment.user, id: comment.user.length, type: comment.user.endsWith('[bot]') ? 'Bot' : 'User' },
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      author_association: 'NONE',
    };
  }
}
