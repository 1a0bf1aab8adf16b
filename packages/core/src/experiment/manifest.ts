/**
 * The runs manifest: the typed hand-off from experiment to evaluate (and to the reports). A
 * versioned JSON document, never a Python list literal in a text file as the template has it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { ConfigurationError } from '../errors.js';

export const RUNS_MANIFEST_SCHEMA = 'llmops/runs@1';

const lineCounts = z.object({ total: z.number(), completed: z.number(), failed: z.number() });
const tokenUsage = z.object({ total: z.number(), prompt: z.number(), completion: z.number() });

const runRecord = z.object({
  /** The plan's run id. */
  id: z.string(),
  /** promptflow's run name, which evaluation runs reference with --run. */
  name: z.string(),
  flow: z.string(),
  dataset: z.string(),
  data: z.string(),
  variants: z.record(z.string(), z.string()),
  status: z.enum(['Completed', 'Failed', 'Canceled']),
  lines: lineCounts,
  tokens: tokenUsage,
  durationMs: z.number(),
  outputsPath: z.string(),
  firstError: z.string().optional(),
  /** The run this one resumed because line processes crashed in it. */
  resumedFrom: z.string().optional(),
});

const runsManifest = z.object({
  schema: z.literal(RUNS_MANIFEST_SCHEMA),
  experiment: z.string(),
  env: z.string().optional(),
  /** The experiment.yaml the runs came from. */
  config: z.string(),
  /** The `variants` selection the runs were planned with; evaluate plans its runs the same way. */
  variantSelection: z.string(),
  executor: z.object({
    kind: z.literal('local-promptflow'),
    /** PF_HOME_DIRECTORY holding the runs, so evaluation runs can join them. */
    home: z.string(),
  }),
  runs: z.array(runRecord),
});

export type RunsManifest = z.infer<typeof runsManifest>;
export type RunRecord = z.infer<typeof runRecord>;

export async function writeRunsManifest(file: string, manifest: RunsManifest): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  await fs.rename(temporary, file);
}

export async function readRunsManifest(file: string): Promise<RunsManifest> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new ConfigurationError(`runs manifest not found: ${file} (run the experiment stage first, or pass its 'runs' output)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`not JSON: ${(error as Error).message}`, { file });
  }
  const schema = (json as { schema?: unknown } | null)?.schema;
  if (schema !== RUNS_MANIFEST_SCHEMA) {
    throw new ConfigurationError(`not a runs manifest of schema ${RUNS_MANIFEST_SCHEMA} (found ${JSON.stringify(schema)})`, { file });
  }
  const parsed = runsManifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigurationError(`${issue.path.join('.') || '(root)'}: ${issue.message}`, { file });
  }
  return parsed.data;
}
