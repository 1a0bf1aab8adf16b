/**
 * Which pull request a GitHub Actions job belongs to, and whether to comment on it: from the
 * environment the runner sets, without @actions/github (core imports no runner library).
 */
import fs from 'node:fs/promises';
import { DEFAULT_GITHUB_API_URL } from './rest.js';

export interface PullRequestRef {
  /** `owner/name`. */
  repository: string;
  pullNumber: number;
  apiUrl: string;
}

/**
 * The pull request of this job, or undefined when the job is not running for one (a push, a
 * schedule, another CI system, a laptop). Reads the webhook payload at GITHUB_EVENT_PATH:
 * `pull_request.number` for pull_request / pull_request_target events, and `issue.number` for
 * comments on a pull request (issue_comment events whose issue has `pull_request`).
 */
export async function pullRequestFromEnv(env: NodeJS.ProcessEnv): Promise<PullRequestRef | undefined> {
  const eventPath = env.GITHUB_EVENT_PATH;
  if (!eventPath) return undefined;
  let event: {
    pull_request?: { number?: unknown };
    issue?: { number?: unknown; pull_request?: unknown };
    repository?: { full_name?: unknown };
  };
  try {
    event = JSON.parse(await fs.readFile(eventPath, 'utf8'));
  } catch {
    // The runner always writes this file; without a readable one there is no PR to speak of.
    return undefined;
  }
  if (event === null || typeof event !== 'object') return undefined;

  const number = event.pull_request?.number ?? (event.issue?.pull_request ? event.issue.number : undefined);
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number <= 0) return undefined;

  const repository = env.GITHUB_REPOSITORY || (typeof event.repository?.full_name === 'string' ? event.repository.full_name : undefined);
  if (!repository) return undefined;
  return { repository, pullNumber: number, apiUrl: env.GITHUB_API_URL || DEFAULT_GITHUB_API_URL };
}

export type PullRequestCommentPlan =
  | { action: 'post'; token: string; pullRequest: PullRequestRef }
  | { action: 'skip'; reason: string };

/**
 * Whether to post the PR comment. Commenting is optional: without a pull request or without a
 * token the stage skips it (and says why in the log) instead of failing.
 */
export function planPullRequestComment(token: string | undefined, pullRequest: PullRequestRef | undefined): PullRequestCommentPlan {
  if (!pullRequest) return { action: 'skip', reason: 'not running for a pull request' };
  if (!token) return { action: 'skip', reason: "no GitHub token (set the 'github-token' input to comment on the pull request)" };
  return { action: 'post', token, pullRequest };
}
