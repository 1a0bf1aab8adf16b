import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment, resolveConnectionSecrets, resolveFlexInit } from '../../packages/core/src/config/index.js';
import { resolveFlow } from '../../packages/core/src/flow/index.js';
import { fixturesDir, userErrorOf, userErrorOfCall, usecaseDir } from './helpers.js';

const experimentFile = path.join(usecaseDir, 'experiment.yaml');
/** A value no message may ever contain. */
const CANARY = 'canary-secret-7f3a9c';

describe('connection secrets from <CONNECTION>_<NAME>', () => {
  it('fills ${name} placeholders from the environment and lists every secret value for masking', async () => {
    const { connections } = await loadExperiment(experimentFile, { environ: {} });
    const resolved = resolveConnectionSecrets(connections, { AOAI_API_KEY: CANARY, SEARCH_TOKEN: 'search-token' });
    expect(resolved[0]).toMatchObject({
      name: 'aoai',
      properties: { api_base: 'https://example.openai.azure.com/', api_key: CANARY, api_version: '2024-02-01', api_type: 'azure' },
      secretValues: [CANARY],
    });
    expect(resolved[1]).toMatchObject({ secrets: { token: 'search-token' }, secretValues: ['search-token'] });
    expect(resolved[0]).not.toHaveProperty('valueLocations');
  });

  it('names the missing variable at the place of the placeholder, never a secret value', async () => {
    const { connections } = await loadExperiment(experimentFile, { environ: {} });
    // AOAI_API_KEY is set to the canary; SEARCH_TOKEN is missing.
    const message = userErrorOfCall(() => resolveConnectionSecrets(connections, { AOAI_API_KEY: CANARY }));
    expect(message).toBe(
      `${experimentFile}:17:12: secrets.token: environment variable SEARCH_TOKEN is not set (connection 'search' takes \${token} from <CONNECTION>_<NAME>)`,
    );
    expect(message).not.toContain(CANARY);
  });

  it('treats an empty variable as unset, as the template does', async () => {
    const { connections } = await loadExperiment(experimentFile, { environ: {} });
    expect(userErrorOfCall(() => resolveConnectionSecrets(connections, { AOAI_API_KEY: '', SEARCH_TOKEN: CANARY }))).toBe(
      `${experimentFile}:10:12: api_key: environment variable AOAI_API_KEY is not set (connection 'aoai' takes \${api_key} from <CONNECTION>_<NAME>)`,
    );
  });

  it('keeps secrets out of config errors about the connection itself', async () => {
    // A connection whose api_key is a literal canary, with a typo elsewhere.
    const file = path.join(fixturesDir, 'malformed/connection-unknown-key.yaml');
    const message = await userErrorOf(loadExperiment(file, { environ: { AOAI_API_KEY: CANARY } }));
    expect(message).not.toContain(CANARY);
  });
});

describe('flex init.json secrets from <PARENT>_<KEY>', () => {
  const secretFlow = path.join(fixturesDir, 'flex_secret');

  it('fills nested placeholders from <PARENT>_<KEY> and top-level ones from <KEY>', async () => {
    const flow = await resolveFlow(secretFlow);
    const resolved = await resolveFlexInit(flow, { MODEL_CONFIG_API_KEY: CANARY, API_TOKEN: 'token' });
    expect(resolved).toEqual({
      values: { model_config: { azure_deployment: 'gpt-35-turbo', api_key: CANARY }, api_token: 'token', max_total_token: 2048 },
      secretValues: [CANARY, 'token'],
    });
  });

  it('reports a missing variable at its place in init.json, without values', async () => {
    const flow = await resolveFlow(secretFlow);
    const message = await userErrorOf(resolveFlexInit(flow, { API_TOKEN: CANARY }));
    expect(message).toBe(`${path.join(secretFlow, 'init.json')}:4:20: model_config.api_key: environment variable MODEL_CONFIG_API_KEY is not set`);
    expect(message).not.toContain(CANARY);
  });
});
