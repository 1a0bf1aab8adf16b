import fs from 'node:fs';
import path from 'node:path';
import { cancellationOnSignals, formatLocated, type Host, type Logger } from '@llmops/core';

/**
 * The terminal / Jenkins face. Logs go to stderr so stdout carries only results (`--json`);
 * secrets are redacted here because no runner does it for us.
 */
export class CliHost implements Host {
  readonly kind = 'cli' as const;
  readonly workingDirectory = process.cwd();
  readonly signal = cancellationOnSignals();
  readonly outputs = new Map<string, string>();
  private readonly secrets = new Set<string>();
  readonly log: Logger;

  constructor(
    private readonly inputs: Map<string, string>,
    readonly env: NodeJS.ProcessEnv = process.env,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {
    const write = (line: string) => this.stderr.write(`${this.redact(line)}\n`);
    this.log = {
      info: write,
      debug: (message) => {
        if (env.LLMOPS_DEBUG) write(`debug: ${message}`);
      },
      warning: (message, location) => write(`warning: ${formatLocated(message, location)}`),
      // A located error reads `file:line:col: message`, the shape editors and CI logs link.
      error: (message, location) => write(location ? formatLocated(message, location) : `error: ${message}`),
      async group(title, fn) {
        write(`== ${title}`);
        return fn();
      },
    };
  }

  getInput(name: string): string | undefined {
    return this.inputs.get(name);
  }

  setOutput(name: string, value: string): void {
    this.outputs.set(name, value);
  }

  /** Appends to LLMOPS_SUMMARY_FILE when set: the CLI's step summary (e.g. for Jenkins' publishHTML). */
  async appendSummary(markdown: string): Promise<void> {
    const file = this.env.LLMOPS_SUMMARY_FILE;
    if (!file) return;
    await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await fs.promises.appendFile(file, `${this.redact(markdown)}\n`);
  }

  setSecret(value: string): void {
    if (value) this.secrets.add(value);
  }

  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) result = result.split(secret).join('***');
    return result;
  }
}
