/**
 * approval-gate: gates on the metrics, then a human decision in a GitHub issue, through the
 * bundled GitHub action (and the CLI, as Jenkins would run it) against the loopback GitHub API.
 * The test plays the approvers: it waits for the issue, then comments as them.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseApprovers, requestApprovalInIssue, verdictOf } from '@llmops/core/approval/github-issue-approval';
import { createGitHubRest } from '@llmops/core/github/rest';
import { StageFailure } from '@llmops/core/errors';
import { GitHubApiServer } from '../harness/github-api-server.js';
import { runAzurePipelinesTask, runCli, runGitHubAction, type FaceResult } from '../harness/runner-faces.js';
import { recordingLogger, tempDir } from '../promptflow/support.js';

const REPOSITORY = 'acme/support-bot';
const SHA = 'c0ffee0000000000000000000000000000000001';

let github: GitHubApiServer;
let token: string;
let metricsFile: string;

beforeEach(async () => {
  token = `ghs_canary${randomBytes(12).toString('hex')}`;
  github = await new GitHubApiServer({
    token,
    repository: REPOSITORY,
    login: 'github-actions[bot]',
    commits: { [SHA]: { author: 'carol', committer: 'web-flow' } },
    teams: { 'acme/release-managers': ['bob'] },
  }).start();
  const dir = await tempDir('approval');
  metricsFile = path.join(dir, 'metrics.json');
  await writeFile(
    metricsFile,
    JSON.stringify({
      schema: 'llmops/metrics@1',
      experiment: 'offline_classification',
      env: 'prod',
      rows: [{ evaluator: 'accuracy', dataset: 'tickets', run: 'r1', variants: { classify: 'variant_1' }, metrics: { accuracy: 0.875 } }],
    }),
  );
});
afterEach(async () => {
  await github.stop();
});

function githubEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_API_URL: github.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_SHA: SHA,
    GITHUB_ACTOR: 'dave',
    ...extra,
  };
}

function gate(inputs: Record<string, string> = {}): Promise<FaceResult> {
  return runGitHubAction(
    'approval-gate',
    { metrics: metricsFile, gates: 'accuracy >= 0.8', approvers: 'alice, carol, acme/release-managers', 'poll-seconds': '1', 'github-token': token, ...inputs },
    { env: githubEnv(), timeoutMs: 60_000 },
  );
}

/** The approvers' side: wait for the issue llmops opens, then comment as each of them in turn. */
async function commentOnceOpen(...comments: [user: string, body: string][]): Promise<number> {
  while (github.issues.length === 0) await sleep(50);
  const issue = github.issues[0]!;
  for (const [user, body] of comments) {
    github.seedComment(issue.number, body, user);
    await sleep(300);
  }
  return issue.number;
}

describe('approval-gate through the GitHub action', () => {
  it('ignores the committer, the run starter and strangers, and promotes on a listed approver', async () => {
    const [result] = await Promise.all([
      gate(),
      commentOnceOpen(['carol', 'approve'], ['dave', 'approve'], ['mallory', 'approved'], ['alice', 'LGTM! ship it']),
    ]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.outputs['approved-by']).toBe('alice');
    expect(result.outputs['issue-url']).toBe('https://github.com/acme/support-bot/issues/100');
    expect(result.stdout).toContain("ignored 'approve' from carol: the author of the change or of the run cannot decide on it");
    expect(result.stdout).toContain("ignored 'approve' from dave: the author of the change or of the run cannot decide on it");
    expect(result.stdout).toContain("ignored 'approve' from mallory: not one of @alice, @carol, @acme/release-managers");

    const [issue] = github.issues;
    expect(issue).toMatchObject({ title: 'Approve promotion of offline_classification at c0ffee0', state: 'closed', stateReason: 'completed' });
    expect(issue!.body).toContain('Run: https://github.com/acme/support-bot/actions/runs/4242');
    expect(issue!.body).toContain('`accuracy >= 0.8`');
    expect(issue!.body).toContain('@alice, @carol, @acme/release-managers: comment **approve**');
    expect(github.commentsOn(issue!.number).at(-1)).toMatchObject({ user: 'github-actions[bot]', body: 'Approved by @alice; promotion continues.' });
    expect(result.summary).toContain('approved by @alice');
    // The token reached the runner once, to be masked, and nothing else.
    expect(result.stdout.split('\n').filter((line) => line.includes(token))).toEqual([`::add-mask::${token}`]);
    expect(result.stderr + result.summary + issue!.body).not.toContain(token);
  });

  it('waits through a GitHub outage while polling', async () => {
    const [result] = await Promise.all([
      gate(),
      (async () => {
        while (github.issues.length === 0) await sleep(50);
        github.failNext(2, 502);
        await sleep(2_500);
        github.seedComment(github.issues[0]!.number, 'approve', 'alice');
      })(),
    ]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.outputs['approved-by']).toBe('alice');
    expect(result.stdout).toMatch(/::warning::GitHub API GET \/repos\/acme\/support-bot\/issues\/100\/comments\?per_page=100 failed: 502 Bad Gateway: Server Error; trying again at the next poll/);
  });

  it('takes a decision from an active member of an approving team', async () => {
    const [result] = await Promise.all([gate({ approvers: 'acme/release-managers' }), commentOnceOpen(['eve', 'approve'], ['bob', 'Approve'])]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.outputs['approved-by']).toBe('bob');
  });

  it('stops on a deny, in one line, and closes the issue as not planned', async () => {
    const [result] = await Promise.all([gate(), commentOnceOpen(['alice', 'deny: accuracy dropped on billing tickets'])]);
    expect(result.exitCode).toBe(1);
    expect(result.annotations.map((annotation) => annotation.message)).toEqual([
      'promotion denied by alice (https://github.com/acme/support-bot/issues/100)',
    ]);
    expect(github.issues[0]).toMatchObject({ state: 'closed', stateReason: 'not_planned' });
    expect(result.outputs['approved-by']).toBeUndefined();
  });

  it('asks nobody when a gate fails', async () => {
    const result = await gate({ gates: 'accuracy >= 0.9' });
    expect(result.exitCode).toBe(1);
    expect(result.annotations[0]!.message).toMatch(/^1 of 1 gate checks failed: input 'gates' line 1 'accuracy >= 0.9'/);
    expect(github.issues).toEqual([]);
    expect(github.requests).toEqual([]);
  });

  it('says in one line what is missing, before any request', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ approvers: 'alice, not a user' }, "approvers: 'not a user' is neither a GitHub user nor an org/team"],
      [{ 'github-token': '' }, "github-token: approval-gate needs a token that may open issues ('permissions: issues: write')"],
      [{ metrics: path.join(path.dirname(metricsFile), 'nope.json') }, 'metrics file not found'],
    ];
    for (const [inputs, expected] of cases) {
      const result = await gate(inputs);
      expect(result.exitCode).toBe(1);
      expect(result.annotations).toHaveLength(1);
      expect(result.annotations[0]!.message).toContain(expected);
    }
    expect(github.requests).toEqual([]);
  });

  it('names the missing permission when GitHub refuses, without the token', async () => {
    const result = await runGitHubAction(
      'approval-gate',
      { metrics: metricsFile, approvers: 'alice', 'github-token': `${token}-revoked` },
      { env: githubEnv(), timeoutMs: 60_000 },
    );
    expect(result.exitCode).toBe(1);
    expect(result.annotations.map((annotation) => annotation.message)).toEqual([
      `GitHub API GET /repos/acme/support-bot/commits/${SHA} failed: 401 Unauthorized: Bad credentials; the token is invalid or has expired`,
    ]);
    expect(result.stderr).not.toContain(token);
  });
});

describe('approval-gate elsewhere', () => {
  it('runs from the CLI with a GitHub repository and token in the environment (Jenkins)', async () => {
    const [result] = await Promise.all([
      runCli(['approval-gate', '--metrics', metricsFile, '--approvers', 'alice', '--poll-seconds', '1', '--json'], {
        env: { ...githubEnv(), GITHUB_TOKEN: token },
        timeoutMs: 60_000,
      }),
      commentOnceOpen(['alice', 'approve']),
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ 'approved-by': 'alice', 'issue-url': 'https://github.com/acme/support-bot/issues/100' });
  });

  it('asks in the GitHub repository an Azure DevOps pipeline builds, excluding the commit author', async () => {
    const [result] = await Promise.all([
      runAzurePipelinesTask(
        'approval-gate',
        { metrics: metricsFile, approvers: 'alice, carol', pollSeconds: '1', githubToken: token },
        {
          env: { BUILD_REPOSITORY_PROVIDER: 'GitHub', BUILD_REPOSITORY_NAME: REPOSITORY, BUILD_SOURCEVERSION: SHA, GITHUB_API_URL: github.url },
          timeoutMs: 60_000,
        },
      ),
      commentOnceOpen(['carol', 'approve'], ['alice', 'approve']),
    ]);
    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.taskResult).toBe('Succeeded');
    expect(result.outputs.approvedBy).toBe('alice');
  });

  it('tells an Azure Repos pipeline to use an environment approval check instead', async () => {
    const result = await runAzurePipelinesTask('approval-gate', { metrics: metricsFile, approvers: 'alice' }, { env: { BUILD_REPOSITORY_PROVIDER: 'TfsGit' } });
    expect(result.exitCode).toBe(1);
    expect(result.taskResult).toBe('Failed');
    expect(result.annotations.map((annotation) => annotation.message)).toEqual([
      'approval-gate asks for the approval in a GitHub issue and needs a GitHub repository (GITHUB_REPOSITORY, owner/name); for an Azure Repos pipeline, hold the deploy job with an environment approval check instead',
    ]);
  });
});

describe('requestApprovalInIssue', () => {
  it('gives up after the timeout and closes the issue with the reason', async () => {
    const log = recordingLogger();
    const rest = createGitHubRest({ token, apiUrl: github.url, permissionHint: '', notFoundHint: '' });
    const started = Date.now();
    const outcome = await requestApprovalInIssue({
      rest,
      repository: REPOSITORY,
      title: 'Approve promotion',
      body: 'please',
      approvers: parseApprovers('alice'),
      excluded: [],
      timeoutMs: 1_500,
      pollMs: 200,
      signal: new AbortController().signal,
      log,
    }).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(StageFailure);
    expect((outcome as Error).message).toBe('no approval from @alice within 2 second(s) (https://github.com/acme/support-bot/issues/100)');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(github.issues[0]).toMatchObject({ state: 'closed', stateReason: 'not_planned' });
    expect(github.commentsOn(100).at(-1)!.body).toBe('No decision within 2 second(s); promotion stopped.');
  });

  it('reads a decision from the first word only', () => {
    expect(['approve', 'Approved.', 'LGTM!', 'yes please'].map(verdictOf)).toEqual(['approve', 'approve', 'approve', 'approve']);
    expect(['deny', 'Rejected: no', 'no'].map(verdictOf)).toEqual(['deny', 'deny', 'deny']);
    expect(['I approve', 'looks good', '', 'approval pending'].map(verdictOf)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('parses users and teams, with or without @', () => {
    expect(parseApprovers('@alice, acme/release-managers\nbob')).toEqual([
      { kind: 'user', login: 'alice' },
      { kind: 'team', org: 'acme', slug: 'release-managers' },
      { kind: 'user', login: 'bob' },
    ]);
    expect(() => parseApprovers(' , ')).toThrow('approvers: name at least one GitHub user or org/team who may approve');
  });
});
