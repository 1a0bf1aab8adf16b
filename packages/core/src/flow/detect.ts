/**
 * Flow detection as promptflow does it (promptflow/_utils/flow_utils.py: resolve_flow_path,
 * is_flex_flow, is_prompty_flow), without Python:
 *
 * - a folder holding exactly one of flow.dag.yaml, flow.dag.yml, flow.flex.yaml, flow.flex.yml
 *   is a flow; more than one is an error ("Multiple files ... exist");
 * - a path to a .yaml/.yml file is that flow file; a .prompty file is a prompty flow;
 * - whether a YAML flow is flex is decided by its content (an `entry` key), not its name;
 * - a folder with no flow YAML is not a flow for `pf run`, even when it holds one .prompty file
 *   (only `pf flow serve` and chat accept that, via allow_prompty_dir).
 *
 * promptflow tells a function entry from a class entry by importing the module. We read the
 * module's source instead: a top-level `class Name` or `def Name` decides. When the module file
 * is not in the flow folder (it may come from an installed package), an init.json or an `init:`
 * block decides for class (functions take no init), and failing that, PEP 8 naming does.
 * `ResolvedFlow.kindEvidence` records which rule applied.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isPair, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import { ConfigurationError, type SourceLocation } from '../errors.js';
import type { NodeVariants, ResolvedFlow } from '../plan/types.js';
import { YamlSource, pathKind } from '../config/yaml-source.js';

/** Where a flow path was written, so that path-level problems point there. */
export interface FlowReference {
  location: SourceLocation;
  /** The field, e.g. `flow` or `evaluators[1].flow`. */
  field: string;
  /** Appended to a not-found message, e.g. to say the path was a default. */
  hint?: string;
}

const FLOW_FILE_NAMES = ['flow.dag.yaml', 'flow.dag.yml', 'flow.flex.yaml', 'flow.flex.yml'] as const;
const PROMPTY_SUFFIX = '.prompty';

/**
 * Resolve a flow folder or file to its kind, definition file, variants (DAG) and entry (flex).
 * Problems with the path itself are reported at `reference` when given; problems inside a flow
 * file are reported at their place in that file.
 */
export async function resolveFlow(flowPath: string, reference?: FlowReference): Promise<ResolvedFlow> {
  const absolute = path.resolve(flowPath);
  const fail = (problem: string) => pathError(problem, reference);

  const kind = await pathKind(absolute);
  if (kind === undefined) throw fail(`not found: ${absolute}${reference?.hint ?? ''}`);

  if (kind === 'file') {
    const suffix = path.extname(absolute).toLowerCase();
    if (suffix === PROMPTY_SUFFIX) {
      return { path: absolute, kind: 'prompty', definitionFile: absolute, nodeVariants: {} };
    }
    if (suffix !== '.yaml' && suffix !== '.yml') {
      throw fail(`${absolute} is not a flow: expected a flow folder, a flow YAML file or a .prompty file`);
    }
    return readYamlFlow(path.dirname(absolute), absolute);
  }

  const entries = await readdir(absolute);
  const flowFiles = FLOW_FILE_NAMES.filter((name) => entries.includes(name));
  if (flowFiles.length > 1) {
    throw fail(`${absolute} holds ${flowFiles.join(' and ')}; a flow folder must have only one, remove the other`);
  }
  if (flowFiles.length === 0) {
    const prompties = entries.filter((name) => name.toLowerCase().endsWith(PROMPTY_SUFFIX));
    const hint =
      prompties.length === 1
        ? `; to run the prompty in it, point at the file: ${path.join(absolute, prompties[0]!)}`
        : '';
    throw fail(`no flow.dag.yaml or flow.flex.yaml in ${absolute}${hint}`);
  }
  return readYamlFlow(absolute, path.join(absolute, flowFiles[0]!));
}

function pathError(problem: string, reference?: FlowReference): ConfigurationError {
  if (!reference) return new ConfigurationError(`flow: ${problem}`);
  return new ConfigurationError(`${reference.field}: ${problem}`, reference.location);
}

async function readYamlFlow(folder: string, definitionFile: string): Promise<ResolvedFlow> {
  const source = await YamlSource.read(definitionFile, 'flow file');
  const root = source.nodeAt([]);
  if (!isMap(root)) throw source.errorAt([], 'a flow file must be a mapping');

  const isFlex = root.has('entry');
  if (!isFlex && /^flow\.flex\.ya?ml$/.test(path.basename(definitionFile))) {
    throw source.errorAt([], "missing required key 'entry' (module:function or module:Class)");
  }
  if (isFlex) return readFlexFlow(folder, definitionFile, source, root);
  return {
    path: folder,
    kind: 'dag',
    definitionFile,
    nodeVariants: readNodeVariants(source, root),
  };
}

/**
 * node_variants of a DAG flow, in the order the file declares them (YAML order, not JavaScript
 * object order, which would put numeric-looking ids first). Checks what the planner relies on:
 * each variant node is used by a node with `use_variants: true` and vice versa, and each default
 * variant exists.
 */
function readNodeVariants(source: YamlSource, root: YAMLMap): Record<string, NodeVariants> {
  const usingNodes = new Map<string, number>();
  const nodes = root.get('nodes', true);
  if (nodes !== undefined && !isSeq(nodes)) throw source.errorAt(['nodes'], 'expected a list of nodes');
  if (isSeq(nodes)) {
    nodes.items.forEach((node, index) => {
      if (!isMap(node)) return;
      const name = node.get('name');
      if (node.get('use_variants') === true && typeof name === 'string') usingNodes.set(name, index);
    });
  }

  const result: Record<string, NodeVariants> = {};
  const declared = root.get('node_variants', true);
  if (declared !== undefined && !isEmpty(declared)) {
    if (!isMap(declared)) throw source.errorAt(['node_variants'], 'expected a mapping of node name to variants');
    for (const pair of declared.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const nodeName = String(pair.key.value);
      const at = ['node_variants', nodeName];
      if (!isMap(pair.value)) throw source.errorAt(at, 'expected a mapping with default_variant_id and variants');
      const variantsNode = pair.value.get('variants', true);
      if (!isMap(variantsNode) || variantsNode.items.length === 0) {
        throw source.errorAt([...at, 'variants'], 'expected a mapping of variant id to {node: ...}');
      }
      const variants = variantsNode.items.flatMap((item) => (isPair(item) && isScalar(item.key) ? [String(item.key.value)] : []));
      const defaultVariant = pair.value.get('default_variant_id');
      if (typeof defaultVariant !== 'string') {
        throw source.errorAt([...at, 'default_variant_id'], `missing or not a string; expected one of: ${variants.join(', ')}`);
      }
      if (!variants.includes(defaultVariant)) {
        throw source.errorAt(
          [...at, 'default_variant_id'],
          `'${defaultVariant}' is not a variant of '${nodeName}'; expected one of: ${variants.join(', ')}`,
        );
      }
      if (!usingNodes.has(nodeName)) {
        throw source.errorAt(at, `no node named '${nodeName}' with use_variants: true uses these variants`, 'key');
      }
      result[nodeName] = { defaultVariant, variants };
    }
  }
  for (const [nodeName, index] of usingNodes) {
    if (!(nodeName in result)) {
      throw source.errorAt(['nodes', index, 'use_variants'], `node '${nodeName}' uses variants but node_variants has no '${nodeName}'`);
    }
  }
  return result;
}

function isEmpty(node: Node | unknown): boolean {
  return isScalar(node) && node.value === null;
}

const ENTRY = /^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*):([A-Za-z_]\w*)$/;

async function readFlexFlow(folder: string, definitionFile: string, source: YamlSource, root: YAMLMap): Promise<ResolvedFlow> {
  const entry = root.get('entry');
  const match = typeof entry === 'string' ? ENTRY.exec(entry.trim()) : null;
  if (!match) throw source.errorAt(['entry'], 'expected module:function or module:Class, e.g. flow:ChatFlow');
  const [, moduleName, objectName] = match as unknown as [string, string, string];

  const initFile = path.join(folder, 'init.json');
  const init = await readInitJson(initFile);
  const declaresInit = root.has('init') || init !== undefined;
  const decision = await decideFlexKind(folder, moduleName, objectName, declaresInit);
  if (decision === 'not-found') {
    const moduleFile = path.join(folder, ...moduleName.split('.')) + '.py';
    throw source.errorAt(['entry'], `'${objectName}' is neither a class nor a function defined in ${moduleFile}`);
  }

  const flow: ResolvedFlow = {
    path: folder,
    kind: decision.kind,
    definitionFile,
    entry: `${moduleName}:${objectName}`,
    nodeVariants: {},
    kindEvidence: decision.evidence,
  };
  if (decision.kind === 'flex-class' && init !== undefined) {
    flow.init = init;
    flow.initFile = initFile;
  }
  return flow;
}

type FlexDecision = { kind: 'flex-function' | 'flex-class'; evidence: NonNullable<ResolvedFlow['kindEvidence']> } | 'not-found';

async function decideFlexKind(folder: string, moduleName: string, objectName: string, declaresInit: boolean): Promise<FlexDecision> {
  const moduleSource = await readModuleSource(folder, moduleName);
  if (moduleSource !== undefined) {
    const found = findTopLevelDefinition(moduleSource, objectName);
    if (found === 'class') return { kind: 'flex-class', evidence: 'python-source' };
    if (found === 'function') return { kind: 'flex-function', evidence: 'python-source' };
    // The name may be imported into the module (`from .impl import Flow`): fall through to the
    // same rules as for a module we cannot see, unless the module plainly lacks the name.
    if (!new RegExp(`\\b${objectName}\\b`).test(moduleSource)) return 'not-found';
  }
  if (declaresInit) return { kind: 'flex-class', evidence: 'init-config' };
  return { kind: /^[A-Z]/.test(objectName) ? 'flex-class' : 'flex-function', evidence: 'naming' };
}

/** `pkg.mod` is pkg/mod.py or pkg/mod/__init__.py under the flow folder, as Python resolves it there. */
async function readModuleSource(folder: string, moduleName: string): Promise<string | undefined> {
  const base = path.join(folder, ...moduleName.split('.'));
  for (const candidate of [`${base}.py`, path.join(base, '__init__.py')]) {
    try {
      return await readFile(candidate, 'utf8');
    } catch {
      // try the next spelling
    }
  }
  return undefined;
}

/** A top-level (column 0) `class Name` or `def Name` / `async def Name` in Python source. */
export function findTopLevelDefinition(pythonSource: string, name: string): 'class' | 'function' | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const definition = new RegExp(`^(?:(class)|(?:async[ \\t]+)?def)[ \\t]+${escaped}\\b`, 'm');
  const match = definition.exec(pythonSource);
  if (!match) return undefined;
  return match[1] ? 'class' : 'function';
}

async function readInitJson(file: string): Promise<Record<string, unknown> | undefined> {
  if ((await pathKind(file)) !== 'file') return undefined;
  const source = await YamlSource.read(file, 'init.json');
  const value = source.toJS();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw source.errorAt([], 'init.json must hold a JSON object of init parameters');
  }
  return value as Record<string, unknown>;
}
