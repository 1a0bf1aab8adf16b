/**
 * llmops/deployment@1: what deploy did, for the steps after it (smoke-test's URL, a rollback's
 * previous traffic) and for people. No secrets: the endpoint key is an output, never written here.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { ConfigurationError } from '../errors.js';

export const DEPLOYMENT_SCHEMA = 'llmops/deployment@1';

const traffic = z.record(z.string(), z.number().int().min(0).max(100));

const deploymentManifestSchema = z.object({
  schema: z.literal(DEPLOYMENT_SCHEMA),
  target: z.literal('azureml-online'),
  workspace: z.object({ subscriptionId: z.string(), resourceGroup: z.string(), workspaceName: z.string() }),
  endpoint: z.string(),
  deployment: z.string(),
  model: z.object({ name: z.string(), version: z.string() }),
  scoringUri: z.string(),
  traffic,
  /** The endpoint's traffic before this deploy: what a rollback puts back. */
  previousTraffic: traffic,
});

export type DeploymentManifest = z.infer<typeof deploymentManifestSchema>;

export async function writeDeploymentManifest(file: string, manifest: DeploymentManifest): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

export async function readDeploymentManifest(file: string): Promise<DeploymentManifest> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'deployment manifest not found (a rollback needs the manifest the deploy wrote)'
        : `not a readable JSON deployment manifest: ${(error as Error).message.split('\n')[0]}`;
    throw new ConfigurationError(reason, { file });
  }
  const parsed = deploymentManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigurationError(`${issue.path.join('.') || '(root)'}: ${issue.message}`, { file });
  }
  return parsed.data;
}
