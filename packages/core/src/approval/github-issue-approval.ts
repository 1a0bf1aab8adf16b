/**
 * A human approval asked for in a GitHub issue, the way teams approve promotions where
 * `environment:` reviewers are not available (private repositories without Enterprise, runs
 * outside GitHub Actions): llmops opens an issue mentioning the approvers, waits for one of them
 * to comment `approve` (or `deny`), then closes the issue with the verdict.
 *
 * Who may approve: a listed user, or a member of a listed team (`org/team`), who is not the
 * author or committer of the commit being promoted and did not start the run. Every other
 * comment is ignored (and said so in the log), so the issue can carry discussion.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigurationError, StageFailure } from '../errors.js';
import type { Logger } from '../host.js';
import { GitHubApiError, repositoryPath, type GitHubRest } from '../github/rest.js';

/** A user login, or an `org/team-slug` team. */
export type Approver = { kind: 'user'; login: string } | { kind: 'team'; org: string; slug: string };

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const TEAM_SLUG = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The `approvers` input: comma- or newline-separated users and org/team names, `@` optional. */
export function parseApprovers(text: string | undefined, inputName = 'approvers'): Approver[] {
  const entries = (text ?? '')
    .split(/[,\n]/)
    .map((entry) => entry.trim().replace(/^@/, ''))
    .filter(Boolean);
  if (entries.length === 0) throw new ConfigurationError(`${inputName}: name at least one GitHub user or org/team who may approve`);
  return entries.map((entry) => {
    const [first, second, ...rest] = entry.split('/');
    if (second === undefined && LOGIN.test(first!)) return { kind: 'user', login: first! };
    if (second !== undefined && rest.length === 0 && LOGIN.test(first!) && TEAM_SLUG.test(second)) {
      return { kind: 'team', org: first!, slug: second };
    }
    throw new ConfigurationError(`${inputName}: '${entry}' is neither a GitHub user nor an org/team`);
  });
}

export const approverName = (approver: Approver) => (approver.kind === 'user' ? approver.login : `${approver.org}/${approver.slug}`);

const APPROVE_WORDS = new Set(['approve', 'approved', 'lgtm', 'yes']);
const DENY_WORDS = new Set(['deny', 'denied', 'reject', 'rejected', 'no']);

/** What a comment says, judged by its first word: `Approved!`, `deny: accuracy regressed`. */
export function verdictOf(comment: string): 'approve' | 'deny' | undefined {
  const firstWord = comment.trim().split(/\s+/)[0]?.toLowerCase().replace(/[^a-z]/g, '') ?? '';
  if (APPROVE_WORDS.has(firstWord)) return 'approve';
  if (DENY_WORDS.has(firstWord)) return 'deny';
  return undefined;
}

export interface IssueApprovalRequest {
  rest: GitHubRest;
  /** `owner/name`. */
  repository: string;
  title: string;
  /** Markdown: what is being promoted and why it may be (the gates). */
  body: string;
  approvers: Approver[];
  /** Logins that may not approve: the commit's author and committer, the run's actor. */
  excluded: string[];
  timeoutMs: number;
  pollMs: number;
  signal: AbortSignal;
  log: Logger;
}

export interface Approval {
  approvedBy: string;
  issueUrl: string;
}

interface IssueComment {
  id: number;
  body?: string | null;
  user?: { login?: string } | null;
}

export async function requestApprovalInIssue(request: IssueApprovalRequest): Promise<Approval> {
  const { rest, approvers, log } = request;
  const repo = repositoryPath(request.repository);
  const mentions = approvers.map((approver) => `@${approverName(approver)}`).join(', ');
  const issue = await rest.json<{ number: number; html_url: string }>('POST', `${repo}/issues`, {
    title: request.title,
    body: `${request.body}\n\n${mentions}: comment **approve** to promote, or **deny** to stop it.`,
  });
  log.info(`approval requested from ${mentions}: ${issue.html_url}`);
  const issuePath = `${repo}/issues/${issue.number}`;
  const close = async (comment: string, reason: 'completed' | 'not_planned') => {
    await rest.json('POST', `${issuePath}/comments`, { body: comment });
    await rest.json('PATCH', issuePath, { state: 'closed', state_reason: reason });
  };

  const excluded = new Set(request.excluded.map((login) => login.toLowerCase()));
  const membership = new Map<string, boolean>();
  const mayApprove = async (login: string): Promise<boolean> => {
    for (const approver of approvers) {
      if (approver.kind === 'user' && approver.login.toLowerCase() === login.toLowerCase()) return true;
      if (approver.kind === 'team') {
        const key = `${approverName(approver)}:${login.toLowerCase()}`;
        if (!membership.has(key)) membership.set(key, await isActiveTeamMember(rest, approver, login));
        if (membership.get(key)) return true;
      }
    }
    return false;
  };

  const seen = new Set<number>();
  const deadline = Date.now() + request.timeoutMs;
  while (true) {
    for (const comment of await commentsOrNone(rest, `${issuePath}/comments`, log)) {
      if (seen.has(comment.id)) continue;
      seen.add(comment.id);
      const login = comment.user?.login;
      const verdict = verdictOf(comment.body ?? '');
      if (!login || !verdict) continue;
      if (excluded.has(login.toLowerCase())) {
        log.info(`ignored '${verdict}' from ${login}: the author of the change or of the run cannot decide on it`);
        continue;
      }
      if (!(await mayApprove(login))) {
        log.info(`ignored '${verdict}' from ${login}: not one of ${mentions}`);
        continue;
      }
      if (verdict === 'approve') {
        await close(`Approved by @${login}; promotion continues.`, 'completed');
        return { approvedBy: login, issueUrl: issue.html_url };
      }
      await close(`Denied by @${login}; promotion stopped.`, 'not_planned');
      throw new StageFailure(`promotion denied by ${login} (${issue.html_url})`);
    }
    if (request.signal.aborted) {
      await close('The run was canceled before a decision.', 'not_planned');
      throw new StageFailure(`canceled while waiting for approval (${issue.html_url})`);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const waited = duration(request.timeoutMs);
      await close(`No decision within ${waited}; promotion stopped.`, 'not_planned');
      throw new StageFailure(`no approval from ${mentions} within ${waited} (${issue.html_url})`);
    }
    await sleep(Math.min(request.pollMs, left), undefined, { signal: request.signal }).catch(() => undefined);
  }
}

/**
 * The issue's comments; none this time when GitHub is briefly unavailable (5xx, a dropped
 * connection), since waiting for a person spans minutes and the next poll will do. Refusals
 * (401, 403, 404) end the wait: they will not go away by themselves.
 */
async function commentsOrNone(rest: GitHubRest, path: string, log: Logger): Promise<IssueComment[]> {
  try {
    return await rest.list<IssueComment>(path);
  } catch (error) {
    const status = error instanceof GitHubApiError ? error.status : undefined;
    if (!(error instanceof GitHubApiError) || (status !== undefined && status < 500)) throw error;
    log.warning(`${error.message}; trying again at the next poll`);
    return [];
  }
}

const duration = (ms: number) => (ms >= 60_000 ? `${Math.round(ms / 60_000)} minute(s)` : `${Math.round(ms / 1000)} second(s)`);

/** GET /orgs/{org}/teams/{team_slug}/memberships/{username}: 200 with state active, or 404. */
async function isActiveTeamMember(rest: GitHubRest, team: Extract<Approver, { kind: 'team' }>, login: string): Promise<boolean> {
  const path = `/orgs/${encodeURIComponent(team.org)}/teams/${encodeURIComponent(team.slug)}/memberships/${encodeURIComponent(login)}`;
  const membership = await rest.find<{ state?: string }>(path);
  return membership?.state === 'active';
}

/**
 * Who may not approve a promotion of `sha`: its author and committer on GitHub, and whoever
 * started the run. GitHub's merge commits are committed by `web-flow`, which is no person.
 */
export async function excludedApprovers(rest: GitHubRest, repository: string, sha: string | undefined, actors: (string | undefined)[]): Promise<string[]> {
  const logins = new Set(actors.filter((actor): actor is string => Boolean(actor)));
  if (sha) {
    const commit = await rest.json<{ author?: { login?: string } | null; committer?: { login?: string } | null }>(
      'GET',
      `${repositoryPath(repository)}/commits/${encodeURIComponent(sha)}`,
    );
    for (const login of [commit.author?.login, commit.committer?.login]) if (login && login !== 'web-flow') logins.add(login);
  }
  return [...logins];
}
