/**
 * The runs manifest: the typed hand-off from experiment to evaluate (and to the reports). A
 * versioned JSON document, never a Python list literal in a text file as the template has it.
 */
import * as z from 'zod';
import { parseTaggedDocument, readJsonFile, writeJsonDocument } from '../json-document.js';

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
  await writeJsonDocument(file, manifest);
}

export async function readRunsManifest(file: string): Promise<RunsManifest> {
  const json = await readJsonFile(file, 'runs manifest', "run the experiment stage first, or pass its 'runs' output");
  return parseTaggedDocument(json, file, { name: 'runs manifest', schema: RUNS_MANIFEST_SCHEMA, shape: runsManifest });
}
