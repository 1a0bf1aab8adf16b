import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEnvFile } from '../../packages/core/src/config/index.js';
import { fixturesDir, userErrorOf, usecaseDir } from './helpers.js';

const envFile = path.join(usecaseDir, 'environment/env.yaml');

describe('environment/env.yaml', () => {
  it('upper-cases names, substitutes ${VAR} from the environment and writes scalars as the template did', async () => {
    const environ = { AZURE_OPENAI_API_KEY: 'key-from-env', AOAI_RESOURCE: 'tickets' };
    expect(await loadEnvFile(envFile, { environ })).toEqual({
      variables: {
        DEPLOYMENT_NAME: 'gpt-35-turbo',
        PROMPT_TOKEN_LIMIT: '3000',
        TEMPERATURE: '0.50',
        VERBOSE: 'False',
        AZURE_OPENAI_API_KEY: 'key-from-env',
        AZURE_OPENAI_ENDPOINT: 'https://tickets.openai.azure.com/',
      },
      fromEnvironment: ['AZURE_OPENAI_API_KEY', 'AZURE_OPENAI_ENDPOINT'],
    });
  });

  it('lets a variable already set in the environment win over the file', async () => {
    const environ = { AZURE_OPENAI_API_KEY: 'k', AOAI_RESOURCE: 'r', DEPLOYMENT_NAME: 'gpt-4o' };
    const { variables, fromEnvironment } = await loadEnvFile(envFile, { environ });
    expect(variables.DEPLOYMENT_NAME).toBe('gpt-4o');
    expect(fromEnvironment).toContain('DEPLOYMENT_NAME');
  });

  it('names file:line:col and the variable when a ${VAR} is not set', async () => {
    expect(await userErrorOf(loadEnvFile(envFile, { environ: { AZURE_OPENAI_API_KEY: 'k' } }))).toBe(
      `${envFile}:6:24: AZURE_OPENAI_ENDPOINT: environment variable AOAI_RESOURCE is not set (referenced as \${AOAI_RESOURCE})`,
    );
    expect(await userErrorOf(loadEnvFile(envFile, { environ: {} }))).toBe(
      `${envFile}:5:23: AZURE_OPENAI_API_KEY: environment variable AZURE_OPENAI_API_KEY is not set (referenced as \${AZURE_OPENAI_API_KEY})`,
    );
  });

  it('rejects empty values and nested values at their place', async () => {
    const empty = path.join(fixturesDir, 'env/empty-value.yaml');
    expect(await userErrorOf(loadEnvFile(empty, { environ: {} }))).toBe(`${empty}:2:1: SECOND: empty value; give a value or \${VARIABLE}`);
    const nested = path.join(fixturesDir, 'env/nested.yaml');
    expect(await userErrorOf(loadEnvFile(nested, { environ: {} }))).toBe(
      `${nested}:3:3: NESTED: expected a single value, found a list or mapping`,
    );
    const list = path.join(fixturesDir, 'env/list.yaml');
    expect(await userErrorOf(loadEnvFile(list, { environ: {} }))).toBe(`${list}:1:1: expected a mapping of VARIABLE: value`);
  });

  it('treats a missing file as no variables only when optional', async () => {
    const missing = path.join(fixturesDir, 'env/missing.yaml');
    expect(await loadEnvFile(missing, { optional: true, environ: {} })).toEqual({ variables: {}, fromEnvironment: [] });
    expect(await userErrorOf(loadEnvFile(missing, { environ: {} }))).toBe(`env file not found: ${missing}`);
  });
});
