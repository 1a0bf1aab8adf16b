/**
 * The registration manifest, `<output-dir>/registration.json`: what register-if-changed found or
 * created, where, for the deploy stage to read. Versioned and validated on read, like every
 * hand-off between stages. It holds names, versions, hashes, URIs and workspace coordinates:
 * never a key, token or secret.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as z from 'zod';
import { ConfigurationError } from '../errors.js';

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
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Read and validate a manifest (deploy's input); every problem is one line naming the file. */
export async function readRegistrationManifest(file: string): Promise<RegistrationManifest> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'registration manifest not found (run register-if-changed first)'
        : `not a readable JSON registration manifest: ${(error as Error).message.split('\n')[0]}`;
    throw new ConfigurationError(reason, { file });
  }
  const schema = (json as { schema?: unknown } | null)?.schema;
  if (schema !== REGISTRATION_SCHEMA) {
    throw new ConfigurationError(
      `not a registration manifest of schema ${REGISTRATION_SCHEMA} (found schema ${JSON.stringify(schema) ?? 'none'})`,
      { file },
    );
  }
  const parsed = registrationSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigurationError(`${issue.path.join('.') || '(root)'}: ${issue.message}`, { file });
  }
  return parsed.data;
}

/** The standard flow's entry: what deploy puts on an endpoint. */
export function registeredFlow(manifest: RegistrationManifest): RegisteredAsset | undefined {
  return manifest.assets.find((asset) => asset.role === 'flow');
}
