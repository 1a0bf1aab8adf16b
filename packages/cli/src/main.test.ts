import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stages } from '@llmops/core/stages/index';
import { main, parseFlags } from './main.js';

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

async function runMain(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = capture();
  const stderr = capture();
  const exitCode = await main(argv, { stdout: stdout.stream, stderr: stderr.stream, env });
  return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
}

const experiment = stages.find((stage) => stage.name === 'experiment')!;

describe('parseFlags', () => {
  it('takes flags named after the inputs, booleans standing alone', () => {
    const parsed = parseFlags(experiment, ['--config', 'x.yaml', '--dry-run', '--max-parallel-runs=3', '--json']);
    expect(Object.fromEntries(parsed.inputs)).toEqual({ config: 'x.yaml', 'dry-run': 'true', 'max-parallel-runs': '3' });
    expect(parsed.json).toBe(true);
  });

  it('names the nearest flag for a typo', () => {
    expect(() => parseFlags(experiment, ['--max-paralel-runs', '2'])).toThrow(
      "unknown flag '--max-paralel-runs' for llmops experiment; did you mean '--max-parallel-runs'?",
    );
  });

  it('refuses a flag without its value, a repeated flag and a stray argument', () => {
    expect(() => parseFlags(experiment, ['--config'])).toThrow("flag '--config' needs a value");
    expect(() => parseFlags(experiment, ['--env', 'a', '--env', 'b'])).toThrow("flag '--env' is given twice");
    expect(() => parseFlags(experiment, ['oops'])).toThrow("takes no positional argument 'oops'");
  });
});

describe('main', () => {
  it('prints help for every stage, with every input as a flag', async () => {
    for (const stage of stages) {
      const { exitCode, stdout } = await runMain([stage.name, '--help']);
      expect(exitCode).toBe(0);
      for (const [name, spec] of Object.entries(stage.inputs)) {
        if (!spec.azurePipelinesType) expect(stdout).toContain(`--${name}`);
      }
    }
  });

  it('suggests the nearest command and exits 1', async () => {
    const { exitCode, stderr } = await runMain(['experimnet']);
    expect(exitCode).toBe(1);
    expect(stderr).toBe("error: unknown command 'experimnet'; did you mean 'experiment'? (llmops --help lists the stages)\n");
  });

  it('reads an input from LLMOPS_<NAME> when no flag gives it', async () => {
    const { exitCode, stderr } = await runMain(['experiment', '--dry-run'], {
      LLMOPS_MAX_PARALLEL_RUNS: 'lots',
    });
    expect(exitCode).toBe(1);
    expect(stderr).toContain("input 'max-parallel-runs': 'lots' is not an integer");
  });

  it('exits 1 on a bad flag without running anything', async () => {
    const { exitCode, stderr, stdout } = await runMain(['deploy', '--traffic-percentage']);
    expect(exitCode).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe("error: flag '--traffic-percentage' needs a value\n");
  });
});

describe('llmops hash', () => {
  it('prints the content hash and file list of a folder as JSON', async () => {
    const { exitCode, stdout } = await runMain(['hash', 'tests/fixtures/contract/flows/evaluation', '--json']);
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout) as { hash: string; files: string[] };
    expect(result.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.files).toEqual(['accuracy.py', 'flow.dag.yaml', 'grade.py']);
  });

  it('names a missing path in one line', async () => {
    const { exitCode, stderr } = await runMain(['hash', 'no/such/folder']);
    expect(exitCode).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('no/such/folder');
  });
});
