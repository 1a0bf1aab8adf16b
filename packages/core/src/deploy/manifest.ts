/**
 * llmops/deployment@1: what deploy did, for the steps after it (smoke-test's URL, a rollback's
 * previous traffic) and for people. No secrets: the endpoint key is an output, never written here.
 */
import * as z from 'zod';
import { parseTaggedDocument, readJsonFile, writeJsonDocument } from '../json-document.js';

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
  await writeJsonDocument(file, manifest);
}

export async function readDeploymentManifest(file: string): Promise<DeploymentManifest> {
  const json = await readJsonFile(file, 'deployment manifest', 'a rollback needs the manifest the deploy wrote');
  return parseTaggedDocument(json, file, { name: 'deployment manifest', schema: DEPLOYMENT_SCHEMA, shape: deploymentManifestSchema });
}
