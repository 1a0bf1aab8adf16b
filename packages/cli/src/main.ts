import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ConfigurationError,
  ExitCode,
  cliEnvName,
  reportError,
  didYouMean,
  runStage,
  type InputSpec,
  type StageSpec,
} from '@llmops/core';
import { stages } from '@llmops/core/stages/index';
import { CliHost } from './cli-host.js';
import { stageHelp, usage } from './help.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };

/** `llmops <stage> [--flag value ...] [--json]`; returns the exit code (0, 1 user error, 2 bug). */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(usage());
    return command === undefined ? ExitCode.UserError : ExitCode.Success;
  }
  if (command === '--version') {
    io.stdout.write(`${process.env.LLMOPS_VERSION ?? 'dev'}\n`);
    return ExitCode.Success;
  }
  if (command === 'hash') return hashPath(rest, io);
  const stage = stages.find((candidate) => candidate.name === command);
  if (!stage) {
    const names = stages.map((candidate) => candidate.name);
    io.stderr.write(`error: unknown command '${command}'${didYouMean(command, names)} (llmops --help lists the stages)\n`);
    return ExitCode.UserError;
  }
  return runCliStage(stage, rest, io);
}

async function runCliStage(stage: StageSpec, args: string[], io: CliIo): Promise<number> {
  let parsed: ParsedFlags;
  try {
    parsed = parseFlags(stage, args);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    io.stderr.write(`error: ${error.message}\n`);
    return ExitCode.UserError;
  }
  if (parsed.help) {
    io.stdout.write(stageHelp(stage));
    return ExitCode.Success;
  }
  const inputs = withEnvironmentFallback(stage, parsed.inputs, io.env);
  const host = new CliHost(inputs, io.env, io.stderr);
  const exitCode = await runStage(stage, host);
  if (exitCode === ExitCode.Success) io.stdout.write(formatOutputs(stage, host.outputs, parsed.json, (text) => host.redact(text)));
  return exitCode;
}

interface ParsedFlags {
  inputs: Map<string, string>;
  json: boolean;
  help: boolean;
}

/** Flags are the stage's input names; booleans may stand alone (`--dry-run`) or take a value. */
export function parseFlags(stage: StageSpec, args: string[]): ParsedFlags {
  const { tokens } = parseArgs({ args, strict: false, tokens: true, allowPositionals: true });
  const known = new Map<string, InputSpec>(Object.entries(stage.inputs));
  const inputs = new Map<string, string>();
  let json = false;
  let help = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'positional') {
      throw new ConfigurationError(`llmops ${stage.name} takes no positional argument '${token.value}'; flags look like --config <path>`);
    }
    if (token.kind !== 'option') continue;
    const name = token.name;
    if (name === 'json' && token.value === undefined) {
      json = true;
      continue;
    }
    if (name === 'help' || name === 'h') {
      help = true;
      continue;
    }
    const spec = known.get(name);
    if (!spec) {
      const flags = [...known.keys(), 'json', 'help'];
      throw new ConfigurationError(
        `unknown flag '${token.rawName}' for llmops ${stage.name}${didYouMean(name, flags, (flag) => `'--${flag}'`)}`,
      );
    }
    let value = token.value;
    if (value === undefined) {
      // parseArgs without a schema reads `--config x` as a flag followed by a positional.
      const next = tokens[i + 1];
      if (spec.type === 'boolean') {
        value = 'true';
      } else if (next?.kind === 'positional') {
        value = next.value;
        i++;
      } else {
        throw new ConfigurationError(`flag '--${name}' needs a value`);
      }
    }
    if (inputs.has(name)) throw new ConfigurationError(`flag '--${name}' is given twice`);
    inputs.set(name, value);
  }
  return { inputs, json, help };
}

/** A flag wins over LLMOPS_<NAME>, which wins over the input's well-known variable (GITHUB_TOKEN ...). */
function withEnvironmentFallback(stage: StageSpec, flags: Map<string, string>, env: NodeJS.ProcessEnv): Map<string, string> {
  const inputs = new Map(flags);
  for (const [name, spec] of Object.entries(stage.inputs)) {
    if (inputs.has(name)) continue;
    const value = env[cliEnvName(name)] ?? (spec.cliEnv ? env[spec.cliEnv] : undefined);
    if (value !== undefined && value !== '') inputs.set(name, value);
  }
  return inputs;
}

/** Outputs as text or JSON; secrets (a secret output, or one inside another) print as ***. */
function formatOutputs(stage: StageSpec, outputs: Map<string, string>, json: boolean, redact: (text: string) => string): string {
  if (json) {
    const object: Record<string, unknown> = {};
    for (const [name, value] of outputs) object[name] = stage.outputs[name]?.json ? parseJsonOutput(redact(value)) : redact(value);
    return `${JSON.stringify(object, null, 2)}\n`;
  }
  return [...outputs].map(([name, value]) => `${name}: ${redact(value)}\n`).join('');
}

function parseJsonOutput(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    // A JSON-capable output that holds a plain string (e.g. a manifest path).
    return value;
  }
}

/** `llmops hash <path> [--json]`: the content hash register-if-changed compares (docs/content-hash.md). */
async function hashPath(args: string[], io: CliIo): Promise<number> {
  const json = args.includes('--json');
  const paths = args.filter((arg) => arg !== '--json');
  const host = new CliHost(new Map(), io.env, io.stderr);
  if (paths.length !== 1 || paths[0]!.startsWith('-')) {
    io.stderr.write('error: usage: llmops hash <path> [--json]\n');
    return ExitCode.UserError;
  }
  try {
    const { hashCommand } = await import('@llmops/core/hash/index');
    const result = await hashCommand(path.resolve(host.workingDirectory, paths[0]!));
    io.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${result.hash}  ${paths[0]}\n`);
    return ExitCode.Success;
  } catch (error) {
    return reportError(error, host);
  }
}
