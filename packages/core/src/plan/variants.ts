/**
 * Which variant combinations an experiment runs, per the --variants selection.
 *
 * `defaults`, `all` and an explicit list mirror the template's prompt_pipeline.py: for each node
 * with variants (in flow order) and each of its variants (in declaration order), one run with
 * that node at that variant and every other node at its default, skipping combinations already
 * planned, so the all-defaults combination appears once. An explicit list item is `node.variant`
 * or a bare `variant`, which (as in the template) selects that variant id on every node that has
 * it. `all-combinations` is ours (template issue #132): the cartesian product, first node
 * varying slowest. Aliases the template accepts: `*` for all, `default` for defaults.
 */
import { ConfigurationError } from '../errors.js';
import { nearest } from '../suggest.js';
import type { NodeVariants, ResolvedFlow, VariantSelection } from './types.js';

/** Node name -> variant id, for every node that has variants. */
export type VariantCombination = Record<string, string>;

type ParsedSelection =
  | { mode: 'defaults' | 'all' | 'all-combinations' }
  | { mode: 'explicit'; items: string[] };

export function parseVariantSelection(selection: VariantSelection): ParsedSelection {
  const trimmed = selection.trim();
  switch (trimmed.toLowerCase()) {
    case 'defaults':
    case 'default':
    case '':
      return { mode: 'defaults' };
    case 'all':
    case '*':
      return { mode: 'all' };
    case 'all-combinations':
      return { mode: 'all-combinations' };
  }
  const items = trimmed
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return { mode: 'explicit', items };
}

/** The combinations to run, in a stable order; flows without variants get one empty combination. */
export function variantCombinations(flow: ResolvedFlow, selection: VariantSelection): VariantCombination[] {
  const parsed = parseVariantSelection(selection);
  const nodes = Object.entries(flow.nodeVariants);

  if (parsed.mode === 'explicit') {
    if (nodes.length === 0) {
      const what = flow.kind === 'dag' ? 'a DAG flow without node_variants' : `a ${flow.kind} flow`;
      throw new ConfigurationError(`variants: '${selection.trim()}' selects variants, but ${flow.definitionFile} is ${what}; use defaults`);
    }
    rejectUnknownItems(parsed.items, nodes);
  }

  const defaults: VariantCombination = Object.fromEntries(nodes.map(([node, info]) => [node, info.defaultVariant]));
  switch (parsed.mode) {
    case 'defaults':
      return [defaults];
    case 'all-combinations':
      return cartesian(nodes);
    case 'all':
      return oneNodeAtATime(nodes, defaults, () => true);
    case 'explicit': {
      const wanted = new Set(parsed.items);
      return oneNodeAtATime(nodes, defaults, (node, variant) => wanted.has(variant) || wanted.has(`${node}.${variant}`));
    }
  }
}

function oneNodeAtATime(
  nodes: [string, NodeVariants][],
  defaults: VariantCombination,
  isSelected: (node: string, variant: string) => boolean,
): VariantCombination[] {
  if (nodes.length === 0) return [defaults];
  const planned: VariantCombination[] = [];
  const seen = new Set<string>();
  for (const [node, info] of nodes) {
    for (const variant of info.variants) {
      if (!isSelected(node, variant)) continue;
      const combination = { ...defaults, [node]: variant };
      const key = JSON.stringify(combination);
      if (seen.has(key)) continue;
      seen.add(key);
      planned.push(combination);
    }
  }
  return planned;
}

function cartesian(nodes: [string, NodeVariants][]): VariantCombination[] {
  let combinations: VariantCombination[] = [{}];
  for (const [node, info] of nodes) {
    combinations = combinations.flatMap((partial) => info.variants.map((variant) => ({ ...partial, [node]: variant })));
  }
  return combinations;
}

function rejectUnknownItems(items: string[], nodes: [string, NodeVariants][]): void {
  const qualified = nodes.flatMap(([node, info]) => info.variants.map((variant) => `${node}.${variant}`));
  const bareIds = new Set(nodes.flatMap(([, info]) => info.variants));
  for (const item of items) {
    if (qualified.includes(item) || bareIds.has(item)) continue;
    const dot = item.indexOf('.');
    const nodeName = dot >= 0 ? item.slice(0, dot) : undefined;
    const problem =
      nodeName !== undefined && !nodes.some(([node]) => node === nodeName)
        ? `unknown node '${nodeName}' in '${item}'`
        : `unknown variant '${item}'`;
    const suggestion = nearest(item, qualified);
    const hint = suggestion ? `; did you mean '${suggestion}'?` : '';
    throw new ConfigurationError(`variants: ${problem} (known: ${qualified.join(', ')})${hint}`);
  }
}
