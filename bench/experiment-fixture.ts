/**
 * The bench's own experiment, written into a temp dir so V (variants) and N (lines) are
 * parameters: one DAG flow whose only node, `chat`, is an LLM node with V variants (prompts that
 * differ only in a number, so every variant sends a distinguishable request), an `open_ai`
 * connection `bench_llm` pointing at the loopback server, and one dataset of N lines.
 *
 * Secrets follow llmops' rule: connection `bench_llm` takes `${api_key}` from BENCH_LLM_API_KEY
 * and `${base_url}` from BENCH_LLM_BASE_URL.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const CONNECTION = 'bench_llm';
export const NODE = 'chat';
export const API_KEY = 'sk-bench-loopback';

export interface BenchFixture {
  dir: string;
  /** experiment.yaml (single dataset `lines`). */
  config: string;
  flowDir: string;
  data: string;
  /** `pf connection create -f` file for the bare baseline (same values llmops creates). */
  connectionYaml: string;
  /** variant_0 .. variant_{V-1}. */
  variants: string[];
  /** What the llmops CLI needs in its environment to resolve the connection's values. */
  env: Record<string, string>;
  /** The dataset's column mapping, as `pf run create --column-mapping` takes it. */
  columnMapping: string[];
}

export async function writeBenchFixture(
  dir: string,
  variantCount: number,
  lineCount: number,
  baseUrl: string,
): Promise<BenchFixture> {
  const flowDir = path.join(dir, 'flow');
  await mkdir(flowDir, { recursive: true });
  const variants = Array.from({ length: variantCount }, (_, k) => `variant_${k}`);

  for (let k = 0; k < variantCount; k++) {
    await writeFile(
      path.join(flowDir, `prompt_${k}.jinja2`),
      `# system:\nYou are bench prompt ${k}. Classify the ticket as billing, technical, shipping, account or other.\n# user:\n{{text}}\n`,
    );
  }
  const variantYaml = variants
    .map(
      (variant, k) => `      ${variant}:
        node:
          type: llm
          source:
            type: code
            path: prompt_${k}.jinja2
          inputs:
            deployment_name: bench-model
            temperature: 0
            max_tokens: 8
            text: \${inputs.text}
          connection: ${CONNECTION}
          api: chat`,
    )
    .join('\n');
  await writeFile(
    path.join(flowDir, 'flow.dag.yaml'),
    `# Written by bench/experiment-fixture.ts: one LLM node with ${variantCount} variants.
inputs:
  text:
    type: string
outputs:
  answer:
    type: string
    reference: \${${NODE}.output}
nodes:
- name: ${NODE}
  use_variants: true
node_variants:
  ${NODE}:
    default_variant_id: variant_0
    variants:
${variantYaml}
`,
  );

  const texts = [
    'I was charged twice for my subscription this month.',
    'The app crashes when I upload a photo.',
    'My package has not arrived and tracking shows nothing.',
    'I forgot my password and the reset email never came.',
    'Do you have a student discount?',
    'Can I get a refund for the annual plan?',
    'Sync between my phone and laptop is very slow.',
    'The courier left my parcel at the wrong address.',
  ];
  const data = path.join(dir, 'data.jsonl');
  await writeFile(
    data,
    Array.from({ length: lineCount }, (_, i) => JSON.stringify({ text: `${texts[i % texts.length]} (#${i})` })).join(
      '\n',
    ) + '\n',
  );

  const config = path.join(dir, 'experiment.yaml');
  await writeFile(
    config,
    `# Written by bench/experiment-fixture.ts.
name: bench_variants
flow: flow

connections:
- name: ${CONNECTION}
  connection_type: OpenAIConnection
  api_key: \${api_key}
  base_url: \${base_url}

datasets:
- name: lines
  source: data.jsonl
  mappings:
    text: "\${data.text}"
`,
  );

  const connectionYaml = path.join(dir, 'connection.yaml');
  await writeFile(
    connectionYaml,
    `name: ${CONNECTION}\ntype: open_ai\napi_key: "${API_KEY}"\nbase_url: "${baseUrl}"\n`,
    { mode: 0o600 },
  );

  return {
    dir,
    config,
    flowDir,
    data,
    connectionYaml,
    variants,
    env: { BENCH_LLM_API_KEY: API_KEY, BENCH_LLM_BASE_URL: baseUrl },
    columnMapping: ['text=${data.text}'],
  };
}
