import path from 'node:path';
import { approverName, excludedApprovers, parseApprovers, requestApprovalInIssue } from '../approval/github-issue-approval.js';
import { ConfigurationError, StageFailure } from '../errors.js';
import { evaluateGates, gateFailure, gateResultsMarkdown, parseGatesInput } from '../evaluate/gates.js';
import { readMetricsDocument } from '../evaluate/metrics.js';
import { createGitHubRest, GitHubApiError } from '../github/rest.js';
import { code } from '../markdown.js';
import type { OutputValues, StageContext } from '../spec.js';
import type { approvalGateInputs, approvalGateOutputs } from './approval-gate.js';

export async function runApprovalGate(
  ctx: StageContext<typeof approvalGateInputs>,
): Promise<OutputValues<typeof approvalGateOutputs>> {
  const { inputs, host, log } = ctx;
  const { env } = host;
  // Everything that can be wrong with the set-up fails before anyone is asked anything.
  const approvers = parseApprovers(inputs.approvers);
  // GitHub Actions, or an Azure DevOps pipeline that builds a GitHub repository.
  const fromAzurePipelines = env.BUILD_REPOSITORY_PROVIDER?.toLowerCase() === 'github';
  const repository = env.GITHUB_REPOSITORY || (fromAzurePipelines ? env.BUILD_REPOSITORY_NAME : undefined);
  if (!repository) {
    throw new ConfigurationError(
      'approval-gate asks for the approval in a GitHub issue and needs a GitHub repository (GITHUB_REPOSITORY, owner/name); for an Azure Repos pipeline, hold the deploy job with an environment approval check instead',
    );
  }
  const token = inputs['github-token'];
  if (!token) throw new ConfigurationError("github-token: approval-gate needs a token that may open issues ('permissions: issues: write')");
  const gates = inputs.gates ? parseGatesInput(inputs.gates) : [];
  const metrics = await readMetricsDocument(path.resolve(host.workingDirectory, inputs.metrics));

  const results = evaluateGates(gates, metrics);
  const gatesMarkdown = gateResultsMarkdown(results);
  const failure = gateFailure(results);
  if (failure) {
    await host.appendSummary(`### llmops approval gate: ${code(metrics.experiment)} not promoted\n\n${gatesMarkdown}\n`);
    throw failure;
  }
  log.info(`${results.length} gate check(s) passed; asking ${approvers.map(approverName).join(', ')}`);

  const rest = createGitHubRest({
    token,
    apiUrl: env.GITHUB_API_URL,
    signal: host.signal,
    permissionHint: "the token may not open or comment on issues: give the job 'permissions: issues: write'",
    notFoundHint: 'the repository does not exist, or the token cannot see it',
  });
  const sha = env.GITHUB_SHA || (fromAzurePipelines ? env.BUILD_SOURCEVERSION : undefined);
  const runUrl = env.GITHUB_SERVER_URL && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
  const what = `${code(metrics.experiment)}${metrics.env ? ` (env ${code(metrics.env)})` : ''}${sha ? ` at ${code(sha.slice(0, 7))}` : ''}`;
  try {
    const excluded = await excludedApprovers(rest, repository, sha, [env.GITHUB_ACTOR, env.GITHUB_TRIGGERING_ACTOR]);
    const approval = await requestApprovalInIssue({
      rest,
      repository,
      title: `Approve promotion of ${metrics.experiment}${sha ? ` at ${sha.slice(0, 7)}` : ''}`,
      body: [
        `llmops asks to promote ${what}.`,
        runUrl ? `Run: ${runUrl}` : undefined,
        `Gates:\n\n${gatesMarkdown}`,
        excluded.length > 0 ? `Not allowed to decide (author, committer or starter of the run): ${excluded.map((login) => `\`${login}\``).join(', ')}.` : undefined,
      ]
        .filter(Boolean)
        .join('\n\n'),
      approvers,
      excluded,
      timeoutMs: inputs['timeout-minutes'] * 60_000,
      pollMs: inputs['poll-seconds'] * 1000,
      signal: host.signal,
      log,
    });
    await host.appendSummary(`### llmops approval gate: ${what} approved by @${approval.approvedBy}\n\n${approval.issueUrl}\n\n${gatesMarkdown}\n`);
    return { 'approved-by': approval.approvedBy, 'issue-url': approval.issueUrl };
  } catch (error) {
    // A refused or unreachable GitHub API is a set-up problem the user fixes (token, permissions).
    if (error instanceof GitHubApiError) throw new StageFailure(error.message);
    throw error;
  }
}
