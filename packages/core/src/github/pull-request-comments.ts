/**
 * Pull request comments through the GitHub REST API. PR conversation comments are issue
 * comments there:
 *   GET   /repos/{owner}/{repo}/issues/{number}/comments   (paginated, per_page <= 100, Link header)
 *   POST  /repos/{owner}/{repo}/issues/{number}/comments   -> 201
 *   PATCH /repos/{owner}/{repo}/issues/comments/{id}       -> 200
 */
import { createGitHubRest, repositoryPath } from './rest.js';

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

/**
 * Posting a comment is a courtesy, not the stage's outcome: callers log a GitHubApiError as a
 * warning and go on.
 */
export function createGitHubPullRequestComments(options: GitHubPullRequestCommentsOptions): PullRequestComments {
  const { pullNumber } = options;
  const repo = repositoryPath(options.repository);
  if (!Number.isSafeInteger(pullNumber) || pullNumber <= 0) throw new TypeError(`pullNumber must be a positive integer, got ${pullNumber}`);
  const rest = createGitHubRest({
    ...options,
    permissionHint: "the token may not write comments: give the job 'permissions: pull-requests: write'",
    notFoundHint: 'the repository or pull request does not exist, or the token cannot see it',
  });
  const commentsPath = `${repo}/issues/${pullNumber}/comments`;

  return {
    async list() {
      const page = await rest.list<{ id: number; body?: string | null }>(commentsPath);
      return page.map((comment) => ({ id: comment.id, body: comment.body ?? '' }));
    },
    async create(body) {
      const created = await rest.json<{ id: number }>('POST', commentsPath, { body });
      return { id: created.id };
    },
    async update(id, body) {
      await rest.json('PATCH', `${repo}/issues/comments/${id}`, { body });
    },
  };
}

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
