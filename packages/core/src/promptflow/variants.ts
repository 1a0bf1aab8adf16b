/**
 * Selecting DAG node variants for a run. `pf run create --variant '${node.variant_id}'` selects
 * ONE node's variant; every other node keeps its default. For a combination with several nodes
 * off their default (the all-combinations experiments promptflow refuses, template issue #132) we
 * write a copy of the flow with each such node replaced by the chosen variant's definition and
 * node_variants removed, and run that copy without --variant.
 */
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { ConfigurationError } from '../errors.js';

export type VariantSelectionPlan =
  /** Every node on its default: no argument. */
  | { kind: 'defaults' }
  /** One node off its default: `--variant ${node.variant}`. */
  | { kind: 'single'; argument: string }
  /** Several nodes off their default: run a materialized copy. */
  | { kind: 'materialize'; offDefault: Record<string, string> };

/**
 * How to run `variants` (the variant of every node that has variants, as PlannedRun holds it)
 * given each node's default.
 */
export function planVariantSelection(
  variants: Record<string, string>,
  defaults: Record<string, { defaultVariant: string }>,
): VariantSelectionPlan {
  const offDefault = Object.entries(variants).filter(([node, variant]) => defaults[node]?.defaultVariant !== variant);
  if (offDefault.length === 0) return { kind: 'defaults' };
  if (offDefault.length === 1) {
    const [node, variant] = offDefault[0]!;
    return { kind: 'single', argument: `\${${node}.${variant}}` };
  }
  return { kind: 'materialize', offDefault: Object.fromEntries(offDefault) };
}

const DAG_FILE_NAMES = ['flow.dag.yaml', 'flow.dag.yml'];
/** Not copied: promptflow's caches and Python bytecode are rebuilt on use. */
const SKIPPED_NAMES = new Set(['.promptflow', '__pycache__', '.runs']);

interface DagNode {
  name?: string;
  use_variants?: boolean;
  [key: string]: unknown;
}

interface NodeVariantsBlock {
  default_variant_id?: string;
  variants?: Record<string, { node?: Record<string, unknown> }>;
}

/**
 * Copy the DAG flow in `flowDir` to `outDir` with the chosen variants built in. Nodes missing
 * from `variants` get their default variant. Returns the path of the written flow.dag.yaml.
 */
export async function materializeFlowVariants(
  flowDir: string,
  variants: Record<string, string>,
  outDir: string,
): Promise<string> {
  const sourceDir = path.resolve(flowDir);
  const dagFileName = await findDagFile(sourceDir);
  const dagFile = path.join(sourceDir, dagFileName);
  const dag = (parse(await readFile(dagFile, 'utf8')) ?? {}) as Record<string, unknown>;
  const nodeVariants = (dag.node_variants ?? {}) as Record<string, NodeVariantsBlock>;

  for (const node of Object.keys(variants)) {
    if (!nodeVariants[node]) {
      const known = Object.keys(nodeVariants);
      throw new ConfigurationError(
        `${dagFile}: node '${node}' has no variants` +
          (known.length ? ` (nodes with variants: ${known.join(', ')})` : ' (the flow has no node_variants)'),
      );
    }
  }

  const nodes = Array.isArray(dag.nodes) ? (dag.nodes as DagNode[]) : [];
  dag.nodes = nodes.map((node) => {
    if (!node.use_variants || typeof node.name !== 'string') return node;
    const block = nodeVariants[node.name];
    if (!block)
      throw new ConfigurationError(
        `${dagFile}: node '${node.name}' uses variants but node_variants has no entry for it`,
      );
    const variantId = variants[node.name] ?? block.default_variant_id;
    const chosen = variantId !== undefined ? block.variants?.[variantId]?.node : undefined;
    if (!chosen) {
      const known = Object.keys(block.variants ?? {});
      throw new ConfigurationError(
        `${dagFile}: node '${node.name}' has no variant '${variantId}' (variants: ${known.join(', ')})`,
      );
    }
    const { use_variants: _useVariants, name, ...rest } = node;
    return { name, ...rest, ...chosen };
  });
  delete dag.node_variants;

  // Paths that leave the flow folder would point nowhere from the copy: make them absolute.
  if (Array.isArray(dag.additional_includes)) {
    dag.additional_includes = (dag.additional_includes as unknown[]).map((include) =>
      typeof include === 'string' && !path.isAbsolute(include) ? path.resolve(sourceDir, include) : include,
    );
  }

  const targetDir = path.resolve(outDir);
  await cp(sourceDir, targetDir, {
    recursive: true,
    filter: (source) => !SKIPPED_NAMES.has(path.basename(source)),
  });
  const chosenList = Object.entries(variants)
    .map(([node, variant]) => `${node}=${variant}`)
    .join(', ');
  const header = `# Materialized by llmops from ${dagFile}\n# with node variants: ${chosenList || 'defaults'}\n`;
  const target = path.join(targetDir, dagFileName);
  await writeFile(target, header + stringify(dag, { lineWidth: 0 }));
  return target;
}

async function findDagFile(flowDir: string): Promise<string> {
  let entries: string[];
  try {
    entries = await readdir(flowDir);
  } catch {
    throw new ConfigurationError(`flow folder not found: ${flowDir}`);
  }
  const found = DAG_FILE_NAMES.find((name) => entries.includes(name));
  if (!found) throw new ConfigurationError(`${flowDir} has no flow.dag.yaml: only DAG flows have node variants`);
  return found;
}
