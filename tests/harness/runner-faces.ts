/**
 * Runs a stage the way each runner really does: the bundled action with the environment the
 * GitHub runner sets (INPUT_*, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY), the bundled task with the
 * environment the Azure Pipelines agent sets (INPUT_*, ##vso commands on stdout), and the CLI.
 * Each is a child process; results are parsed from the runner protocols, not from our code.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { azurePipelinesInputName, pascalCase } from '@llmops/core';

const require = createRequire(import.meta.url);
// The task-lib's own parser for ##vso lines: the agent's side of the protocol.
const { commandFromString } = require('azure-pipelines-task-lib/taskcommand.js') as {
  commandFromString(line: string): { command: string; properties: Record<string, string>; message: string };
};

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface Annotation {
  level: 'error' | 'warning';
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

export interface FaceResult {
  exitCode: number;
  outputs: Record<string, string>;
  annotations: Annotation[];
  stdout: string;
  stderr: string;
  /** What the step summary received (markdown). */
  summary: string;
}

export interface FaceOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Node's own environment minus anything a runner would not pass to a step by accident. */
function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('INPUT_') || key.startsWith('GITHUB_') || key.startsWith('LLMOPS_') || key === 'TF_BUILD') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ exitCode, stdout, stderr });
      },
    );
  });
}

async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** GITHUB_OUTPUT holds `name<<DELIM\nvalue\nDELIM` blocks (heredoc file commands). */
function parseGitHubOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!match) continue;
    const [, name, delimiter] = match;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
    outputs[name!] = value.join('\n');
  }
  return outputs;
}

const unescapeGitHubData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeGitHubProperty = (s: string) => unescapeGitHubData(s).replace(/%3A/g, ':').replace(/%2C/g, ',');

/** `::error file=a,line=3,col=5::message` workflow commands. */
function parseGitHubAnnotations(stdout: string): Annotation[] {
  const annotations: Annotation[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^::(error|warning)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!match) continue;
    const properties = Object.fromEntries(
      (match[2] ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => {
          const at = pair.indexOf('=');
          return [pair.slice(0, at), unescapeGitHubProperty(pair.slice(at + 1))];
        }),
    );
    annotations.push({
      level: match[1] as Annotation['level'],
      message: unescapeGitHubData(match[3]!),
      file: properties.file,
      line: properties.line ? Number(properties.line) : undefined,
      column: properties.col ? Number(properties.col) : undefined,
    });
  }
  return annotations;
}

export async function runGitHubAction(stage: string, inputs: Record<string, string>, options: FaceOptions = {}): Promise<FaceResult> {
  const dir = await tempDir('llmops-gh-');
  const outputFile = path.join(dir, 'output');
  const summaryFile = path.join(dir, 'summary.md');
  await fs.writeFile(outputFile, '');
  await fs.writeFile(summaryFile, '');
  const env = baseEnv({
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_STATE: path.join(dir, 'state'),
    GITHUB_ENV: path.join(dir, 'env'),
    GITHUB_PATH: path.join(dir, 'path'),
    GITHUB_WORKSPACE: options.cwd ?? repoRoot,
    RUNNER_TEMP: dir,
    ...options.env,
  });
  // The runner turns every `with:` key into INPUT_<NAME upper-cased, spaces as _>; hyphens stay.
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  const result = await run(process.execPath, [path.join(repoRoot, 'actions', stage, 'dist', 'index.js')], {
    cwd: options.cwd ?? repoRoot,
    env,
    timeoutMs: options.timeoutMs,
  });
  const outputs = parseGitHubOutputFile(await fs.readFile(outputFile, 'utf8'));
  const summary = await fs.readFile(summaryFile, 'utf8');
  await fs.rm(dir, { recursive: true, force: true });
  return { ...result, outputs, annotations: parseGitHubAnnotations(result.stdout), summary };
}

export async function runAzurePipelinesTask(
  stage: string,
  inputs: Record<string, string>,
  options: FaceOptions = {},
): Promise<FaceResult & { taskResult?: string }> {
  const dir = await tempDir('llmops-ado-');
  const cwd = options.cwd ?? repoRoot;
  const env = baseEnv({
    TF_BUILD: 'True',
    AGENT_TEMPDIRECTORY: dir,
    AGENT_VERSION: '4.266.2',
    SYSTEM_DEFAULTWORKINGDIRECTORY: cwd,
    BUILD_SOURCESDIRECTORY: cwd,
    ...options.env,
  });
  // The agent sets INPUT_<NAME> with the task.json input name upper-cased (no hyphens there).
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${azurePipelinesInputName(name).toUpperCase()}`] = value;
  const result = await run(process.execPath, [path.join(repoRoot, 'tasks', `${pascalCase(stage)}V1`, 'dist', 'index.js')], {
    cwd,
    env,
    timeoutMs: options.timeoutMs,
  });
  const outputs: Record<string, string> = {};
  const annotations: Annotation[] = [];
  let summary = '';
  let taskResult: string | undefined;
  for (const line of result.stdout.split(/\r?\n/)) {
    if (!line.startsWith('##vso[')) continue;
    const command = commandFromString(line);
    if (command.command === 'task.setvariable' && command.properties.isOutput === 'true') {
      outputs[command.properties.variable!] = command.message;
    } else if (command.command === 'task.logissue') {
      annotations.push({
        level: command.properties.type as Annotation['level'],
        message: command.message,
        file: command.properties.sourcepath,
        line: command.properties.linenumber ? Number(command.properties.linenumber) : undefined,
        column: command.properties.columnnumber ? Number(command.properties.columnnumber) : undefined,
      });
    } else if (command.command === 'task.uploadsummary') {
      summary += await fs.readFile(command.message, 'utf8');
    } else if (command.command === 'task.complete') {
      taskResult = command.properties.result;
    }
  }
  await fs.rm(dir, { recursive: true, force: true });
  return { ...result, outputs, annotations, summary, taskResult };
}

export async function runCli(args: string[], options: FaceOptions = {}): Promise<FaceResult> {
  const dir = await tempDir('llmops-cli-');
  const summaryFile = path.join(dir, `summary-${randomUUID()}.md`);
  const result = await run(process.execPath, [path.join(repoRoot, 'packages', 'cli', 'dist', 'llmops.js'), ...args], {
    cwd: options.cwd ?? repoRoot,
    env: baseEnv({ LLMOPS_SUMMARY_FILE: summaryFile, ...options.env }),
    timeoutMs: options.timeoutMs,
  });
  const summary = await fs.readFile(summaryFile, 'utf8').catch(() => '');
  await fs.rm(dir, { recursive: true, force: true });
  let outputs: Record<string, string> = {};
  if (args.includes('--json') && result.exitCode === 0) {
    // --json nests structured outputs; re-serialize them to compare with the runners' strings.
    const parsed = JSON.parse(result.stdout) as Record<string, unknown>;
    outputs = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  }
  const annotations: Annotation[] = [];
  for (const line of result.stderr.split('\n')) {
    const match = /^(.+?):(\d+):(\d+): (.*)$/.exec(line);
    if (match) annotations.push({ level: 'error', file: match[1], line: Number(match[2]), column: Number(match[3]), message: match[4]! });
  }
  return { ...result, outputs, annotations, summary };
}
