/**
 * The registration manifest, `<output-dir>/registration.json`: what register-if-changed found or
 * created, where, for the deploy stage to read. Versioned and validated on read, like every
 * hand-off between stages. It holds names, versions, hashes, URIs and workspace coordinates:
 * never a key, token or secret.
 */
import * as z from 'zod';
import { parseTaggedDocument, readJsonFile, writeJsonDocument } from '../json-document.js';

export const REGISTRATION_SCHEMA = 'llmops/registration@1';

const registrySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local'), path: z.string() }),
  z.object({
    kind: z.literal('azureml'),
    subscriptionId: z.string(),
    resourceGroup: z.string(),
    workspaceName: z.string(),
  }),
]);

const registeredAssetSchema = z.object({
  kind: z.enum(['data', 'model']),
  name: z.string(),
  version: z.string(),
  /** Whether this run created the version (false: the content was registered already). */
  changed: z.boolean(),
  hash: z.string(),
  role: z.enum(['flow', 'evaluator', 'dataset']),
  /** Where the registered content is: a local path, or an azureml://...datastores/.../paths/... URI. */
  uri: z.string(),
  /** The source it was hashed from, relative to the experiment.yaml folder (POSIX separators). */
  source: z.string(),
});

const registrationSchema = z.object({
  schema: z.literal(REGISTRATION_SCHEMA),
  experiment: z.string(),
  env: z.string().optional(),
  registry: registrySchema,
  assets: z.array(registeredAssetSchema),
  /** Datasets that were registry references already (`azureml:name:version`), kept as written. */
  skipped: z.array(z.object({ name: z.string(), uri: z.string() })),
});

export type RegistryCoordinates = z.infer<typeof registrySchema>;
export type RegisteredAsset = z.infer<typeof registeredAssetSchema>;
export type RegistrationManifest = z.infer<typeof registrationSchema>;

/**
 * Written to a temporary name and renamed: a reader (or a crashed run) never sees half a file,
 * and two runs writing the same manifest leave one whole file.
 */
export async function writeRegistrationManifest(file: string, manifest: RegistrationManifest): Promise<void> {
  await writeJsonDocument(file, manifest);
}

/** Read and validate a manifest (deploy's input); every problem is one line naming the file. */
export async function readRegistrationManifest(file: string): Promise<RegistrationManifest> {
  const json = await readJsonFile(file, 'registration manifest', 'run register-if-changed first');
  return parseTaggedDocument(json, file, { name: 'registration manifest', schema: REGISTRATION_SCHEMA, shape: registrationSchema });
}

/** The standard flow's entry: what deploy puts on an endpoint. */
export function registeredFlow(manifest: RegistrationManifest): RegisteredAsset | undefined {
  return manifest.assets.find((asset) => asset.role === 'flow');
}
