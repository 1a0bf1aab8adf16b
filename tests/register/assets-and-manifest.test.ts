/** Which assets an experiment names, and the manifest deploy reads. In-process, no registry. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadExperiment } from '../../packages/core/src/config/index.js';
import { ConfigurationError } from '../../packages/core/src/errors.js';
import { defaultModelName, selectAssets } from '../../packages/core/src/register/assets.js';
import {
  readRegistrationManifest,
  registeredFlow,
  writeRegistrationManifest,
} from '../../packages/core/src/register/manifest.js';
import { copyFixture, type Workspace } from './helpers.js';

let w: Workspace | undefined;
afterEach(async () => {
  await w?.dispose();
  w = undefined;
});

describe('selectAssets', () => {
  it('lists each dataset once, skips registry references, and names the flow {experiment}_{env}', async () => {
    w = await copyFixture();
    const experiment = await loadExperiment(w.config, { env: 'dev', environ: {} });
    const { assets, skipped } = await selectAssets(experiment, { includeEvaluators: false });
    expect(assets.map((asset) => `${asset.kind}:${asset.name}:${asset.role}`)).toEqual([
      'data:tickets:dataset',
      'data:emails:dataset',
      'data:tickets_labels:dataset',
      'model:triage_dev:flow',
    ]);
    expect(skipped).toEqual([{ name: 'archive', uri: 'azureml:triage-archive:3' }]);
    expect(defaultModelName({ name: 'triage' })).toBe('triage');
  });

  it('marks a chat flow for Azure ML studio', async () => {
    w = await copyFixture();
    const flowFile = w.file('flows/classify/flow.dag.yaml');
    const text = await readFile(flowFile, 'utf8');
    await writeFile(
      flowFile,
      text
        .replace('  text:\n    type: string', '  text:\n    type: string\n    is_chat_input: true')
        .replace('    reference: ${classify.output}', '    reference: ${classify.output}\n    is_chat_output: true'),
    );
    const experiment = await loadExperiment(w.config, { env: 'pr', environ: {} });
    const { assets } = await selectAssets(experiment, { includeEvaluators: false });
    expect(assets.find((asset) => asset.role === 'flow')!.properties).toEqual({
      'azureml.promptflow.source_flow_id': 'triage_pr',
      'azureml.promptflow.mode': 'chat',
      'azureml.promptflow.chat_input': 'text',
      'azureml.promptflow.chat_output': 'label',
    });
  });

  it('refuses one data asset name for two different sources, at the dataset', async () => {
    w = await copyFixture();
    // Two evaluators whose own datasets share a name but not a file.
    await writeFile(
      w.file('experiment.pr.yaml'),
      'evaluators:\n- name: accuracy\n  flow: flows/eval_accuracy\n  datasets:\n  - name: tickets_labels\n    reference: tickets\n    source: data/tickets_labels.jsonl\n- name: second\n  flow: flows/eval_accuracy\n  datasets:\n  - name: tickets_labels\n    reference: tickets\n    source: data/tickets.jsonl\n',
    );
    const experiment = await loadExperiment(w.config, { env: 'pr', environ: {} });
    const error = await selectAssets(experiment, { includeEvaluators: false }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toMatch(
      /^dataset name 'tickets_labels' is used for two sources, .*tickets_labels\.jsonl and .*tickets\.jsonl/,
    );
    expect((error as ConfigurationError).location?.file).toMatch(/experiment\.pr\.yaml$/);
  });
});

describe('registration manifest', () => {
  it('round-trips and finds the flow; another schema is one located error', async () => {
    w = await copyFixture();
    const file = path.join(w.outputDir, 'registration.json');
    await writeRegistrationManifest(file, {
      schema: 'llmops/registration@1',
      experiment: 'triage',
      registry: { kind: 'local', path: w.registryPath },
      assets: [
        {
          kind: 'model',
          name: 'triage',
          version: '2',
          changed: false,
          hash: 'sha256:00',
          role: 'flow',
          uri: '/r/model/triage/2/content',
          source: 'flows/classify',
        },
      ],
      skipped: [],
    });
    expect(registeredFlow(await readRegistrationManifest(file))).toMatchObject({ name: 'triage', version: '2' });

    await writeFile(file, JSON.stringify({ schema: 'llmops/runs@1' }));
    await expect(readRegistrationManifest(file)).rejects.toThrow(
      'not a registration manifest of schema llmops/registration@1 (found schema "llmops/runs@1")',
    );
  });
});

describe('selectAssets with builtin evaluators', () => {
  it('registers the datasets and flow but no model for an azure-ai-evaluation builtin', async () => {
    const config = path.resolve(import.meta.dirname, '../fixtures/builtin/experiment.yaml');
    const experiment = await loadExperiment(config, { environ: {} });
    const { assets } = await selectAssets(experiment, { includeEvaluators: true });
    expect(assets.map((asset) => `${asset.kind}:${asset.name}:${asset.role}`)).toEqual([
      'data:qa:dataset',
      'model:builtin_qa:flow',
    ]);
  });
});
