/**
 * Which Python runs promptflow, and whether promptflow is installed there. The check reads
 * package metadata only (importlib.metadata), so it costs a bare interpreter start (~50 ms)
 * instead of an `import promptflow` (~3 s).
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { runProcess } from './process.js';

/** The promptflow release llmops is tested with (requirements.txt pins it). */
export const SUPPORTED_PROMPTFLOW_VERSION = '1.18.5';
export const INSTALL_HINT = `pip install promptflow==${SUPPORTED_PROMPTFLOW_VERSION} keyrings.alt`;

export interface PromptflowPython {
  /** Absolute path (or PATH name) of the interpreter. */
  python: string;
  /** How it was chosen, for the log. */
  source: 'option' | 'venv' | 'path';
  /** promptflow-devkit's version. */
  promptflowVersion: string;
  /** promptflow-tools (the `llm` tool), when installed. */
  toolsVersion?: string;
  /** keyrings.alt (file keyring for connections on headless machines), when installed. */
  keyringsAltVersion?: string;
}

export interface FindPythonOptions {
  /** An explicit interpreter; wins over everything else. */
  python?: string;
  /** Folders whose `.venv` is tried, nearest first (a project, then the repo root). */
  searchDirs?: string[];
  env?: NodeJS.ProcessEnv;
}

const PROBE = `
import json
from importlib.metadata import version, PackageNotFoundError
def v(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return None
print(json.dumps({"devkit": v("promptflow-devkit"), "tools": v("promptflow-tools"), "keyrings_alt": v("keyrings.alt")}))
`;

export async function findPromptflowPython(options: FindPythonOptions = {}): Promise<PromptflowPython> {
  const env = options.env ?? process.env;
  const candidate = await chooseInterpreter(options);
  const probe = await runProcess(candidate.python, ['-c', PROBE], { env }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw new ConfigurationError(
        `Python not found at ${candidate.python}: install Python 3.9-3.13 and run \`npm run setup:python\`, or pass the python option`,
      );
    }
    throw error;
  });
  let found: { devkit: string | null; tools: string | null; keyrings_alt: string | null } | undefined;
  try {
    found = probe.exitCode === 0 ? JSON.parse(probe.stdout.trim().split('\n').pop() ?? '') : undefined;
  } catch {
    found = undefined;
  }
  if (!found) {
    throw new ConfigurationError(
      `${candidate.python} could not be run to check for promptflow: ${lastLine(probe.stderr) || `exit code ${probe.exitCode}`}`,
    );
  }
  if (!found.devkit) {
    throw new ConfigurationError(
      `promptflow is not installed for ${candidate.python}: run \`${INSTALL_HINT}\` or \`npm run setup:python\``,
    );
  }
  return {
    python: candidate.python,
    source: candidate.source,
    promptflowVersion: found.devkit,
    toolsVersion: found.tools ?? undefined,
    keyringsAltVersion: found.keyrings_alt ?? undefined,
  };
}

async function chooseInterpreter(
  options: FindPythonOptions,
): Promise<{ python: string; source: PromptflowPython['source'] }> {
  if (options.python) return { python: options.python, source: 'option' };
  for (const dir of options.searchDirs ?? [process.cwd()]) {
    for (const venvPython of venvInterpreters(dir)) {
      if (await exists(venvPython)) return { python: venvPython, source: 'venv' };
    }
  }
  return { python: process.platform === 'win32' ? 'python' : 'python3', source: 'path' };
}

function venvInterpreters(dir: string): string[] {
  const venv = path.resolve(dir, '.venv');
  return process.platform === 'win32' ? [path.join(venv, 'Scripts', 'python.exe')] : [path.join(venv, 'bin', 'python')];
}

/** `dir` and its parents up to the filesystem root, nearest first: where a `.venv` may sit. */
export function selfAndAncestors(dir: string): string[] {
  const dirs: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    dirs.push(current);
    const parent = path.dirname(current);
    if (parent === current) return dirs;
    current = parent;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}
