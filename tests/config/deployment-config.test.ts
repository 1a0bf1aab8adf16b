import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDeploymentConfig } from '../../packages/core/src/config/index.js';
import { fixturesDir, userErrorOf, usecaseDir } from './helpers.js';

const configFile = path.join(usecaseDir, 'configs/deployment_config.json');
const broken = (name: string) => path.join(fixturesDir, 'deployment', name);

describe('configs/deployment_config.json', () => {
  it('returns the entries of one environment, per target kind, with their locations', async () => {
    const dev = await loadDeploymentConfig(configFile, 'dev');
    expect(dev.env).toBe('dev');
    expect(dev.azureManagedEndpoints).toHaveLength(1);
    expect(dev.azureManagedEndpoints[0]).toMatchObject({
      ENV_NAME: 'dev',
      ENDPOINT_NAME: 'tickets-dev',
      PRIOR_DEPLOYMENT_TRAFFIC_ALLOCATION: '90',
      CURRENT_DEPLOYMENT_TRAFFIC_ALLOCATION: 10,
      DEPLOYMENT_INSTANCE_COUNT: 1,
      ENVIRONMENT_VARIABLES: { 'example-name': 'example-value' },
      location: { file: configFile, line: 3, column: 9 },
    });
    expect(dev.kubernetesEndpoints.map((entry) => entry.ENDPOINT_NAME)).toEqual(['tickets-aks']);
    expect(dev.webappEndpoints).toEqual([]);

    const prod = await loadDeploymentConfig(configFile, 'prod');
    expect(prod.azureManagedEndpoints.map((entry) => entry.ENDPOINT_NAME)).toEqual(['tickets-prod']);
    expect(prod.webappEndpoints[0]).toMatchObject({ WEB_APP_NAME: 'tickets', CONNECTION_NAMES: ['aoai'] });
  });

  it('returns no entries for an environment the file does not mention', async () => {
    const none = await loadDeploymentConfig(configFile, 'qa');
    expect([...none.azureManagedEndpoints, ...none.kubernetesEndpoints, ...none.webappEndpoints]).toEqual([]);
  });

  it.each([
    ['unknown-key.json', '5:13', "azure_managed_endpoint[0].ENDPOINT_NAMES: unknown key 'ENDPOINT_NAMES'; did you mean 'ENDPOINT_NAME'?"],
    ['bad-traffic.json', '5:54', 'azure_managed_endpoint[0].CURRENT_DEPLOYMENT_TRAFFIC_ALLOCATION: expected a traffic percentage from 0 to 100'],
    ['unknown-kind.json', '2:5', "azure_managed_endpoints: unknown key 'azure_managed_endpoints'; did you mean 'azure_managed_endpoint'?"],
    ['syntax.json', '3:28', 'JSON syntax error: property name expected'],
  ])('%s', async (name, lineColumn, message) => {
    expect(await userErrorOf(loadDeploymentConfig(broken(name), 'dev'))).toBe(`${broken(name)}:${lineColumn}: ${message}`);
  });
});
