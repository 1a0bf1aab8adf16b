import { cliEnvName, type InputSpec, type StageSpec } from '@llmops/core';
import { stages } from '@llmops/core/stages/index';

export function usage(): string {
  const width = Math.max(...stages.map((stage) => stage.name.length));
  const lines = [
    'usage: llmops <stage> [--flag value ...] [--json]',
    '',
    'CI/CD stages for prompt flow apps. Stages:',
    ...stages.map((stage) => `  ${stage.name.padEnd(width)}  ${stage.description}`),
    '',
    'Other commands:',
    `  ${'hash'.padEnd(width)}  Print the content hash of a file or folder: llmops hash <path> [--json]`,
    '',
    "Run 'llmops <stage> --help' for a stage's flags. --json prints the stage's outputs as one JSON object.",
    'Exit codes: 0 success, 1 user error or failed gate, 2 internal error.',
    '',
  ];
  return lines.join('\n');
}

export function flagUsage(name: string, spec: InputSpec): string {
  const value = spec.type === 'boolean' ? '' : ` <${spec.type === 'choice' ? spec.choices?.join('|') : spec.type}>`;
  return `--${name}${value}`;
}

export function stageHelp(stage: StageSpec): string {
  const lines = [`usage: llmops ${stage.name} [flags] [--json]`, '', stage.description, '', 'Flags:'];
  for (const [name, spec] of Object.entries(stage.inputs)) {
    if (spec.azurePipelinesType) continue; // a service connection exists only in Azure DevOps
    const facts = [
      spec.required ? 'required' : undefined,
      spec.default !== undefined ? `default: ${spec.default}` : undefined,
      `env: ${cliEnvName(name)}${spec.cliEnv ? ` or ${spec.cliEnv}` : ''}`,
      spec.secret ? 'secret' : undefined,
    ].filter(Boolean);
    lines.push(`  ${flagUsage(name, spec)}`, `      ${spec.description} (${facts.join('; ')})`);
  }
  lines.push('  --json', '      Print the outputs as one JSON object on stdout.', '', 'Outputs:');
  for (const [name, spec] of Object.entries(stage.outputs)) lines.push(`  ${name}: ${spec.description}`);
  lines.push('');
  return lines.join('\n');
}
