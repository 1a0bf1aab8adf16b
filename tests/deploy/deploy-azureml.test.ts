/**
 * deploy to an Azure ML managed online endpoint, against the HTTPS ARM emulator with the real
 * @azure/arm-machinelearning client, its LRO pollers and real sign-in, through the bundled CLI
 * (service principal in AZURE_*), GitHub action (OIDC) and Azure DevOps task (service
 * connection). The flow model version exists in the emulator as register-if-changed left it.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AzureEmulator, startAzureEmulator } from '../harness/azure-emulator/index.js';
import { type FaceResult, runAzurePipelinesTask, runCli, runGitHubAction } from '../harness/runner-faces.js';

let emulator: AzureEmulator;
let root: string;
let config: string;
let registration: string;
let outputDir: string;

const MODEL = 'support_bot_prod';

beforeEach(async () => {
  emulator = await startAzureEmulator();
  root = await mkdtemp(path.join(os.tmpdir(), 'llmops-deploy-'));
  // The template's layout: experiment.yaml with configs/deployment_config.json beside it.
  config = path.join(root, 'experiment.yaml');
  await mkdir(path.join(root, 'configs'));
  await writeFile(config, 'name: support_bot\n');
  await writeFile(
    path.join(root, 'configs', 'deployment_config.json'),
    JSON.stringify({
      azure_managed_endpoint: [
        {
          ENV_NAME: 'prod',
          ENDPOINT_NAME: 'support-bot',
          ENDPOINT_DESC: 'support bot',
          CURRENT_DEPLOYMENT_NAME: 'blue',
          CURRENT_DEPLOYMENT_TRAFFIC_ALLOCATION: '30',
          DEPLOYMENT_VM_SIZE: 'Standard_F4s_v2',
          DEPLOYMENT_INSTANCE_COUNT: 2,
          ENVIRONMENT_VARIABLES: { LOG_LEVEL: 'info' },
        },
      ],
    }),
  );
  // What register-if-changed left: the flow as a model version, and its manifest.
  const { state, scope } = emulator;
  state.put({ id: state.id('models', MODEL), name: MODEL, type: 'Microsoft.MachineLearningServices/workspaces/models', properties: {} });
  state.put({
    id: state.id('models', MODEL, 'versions', '3'),
    name: '3',
    type: 'Microsoft.MachineLearningServices/workspaces/models/versions',
    properties: { modelType: 'custom_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/LocalUpload/x/classify' },
  });
  registration = path.join(root, 'registration.json');
  await writeFile(
    registration,
    JSON.stringify({
      schema: 'llmops/registration@1',
      experiment: 'support_bot',
      env: 'prod',
      registry: { kind: 'azureml', subscriptionId: scope.subscriptionId, resourceGroup: scope.resourceGroup, workspaceName: scope.workspaceName },
      assets: [{ kind: 'model', name: MODEL, version: '3', changed: true, hash: 'h', role: 'flow', uri: 'azureml://x', source: 'flows/classify' }],
      skipped: [],
    }),
  );
  outputDir = path.join(root, 'out');
});
afterEach(async () => {
  await emulator.stop();
  await rm(root, { recursive: true, force: true });
});

/** Trust and endpoints for the child process, and no LRO poll waits. No credentials. */
function cloudEnv(): Record<string, string> {
  return { ...emulator.childEnv(), LLMOPS_ARM_ENDPOINT: emulator.url, LLMOPS_LRO_POLL_MS: '0' };
}

/** The CLI as Jenkins runs it; `overrides` replace or add flags. */
function cli(overrides: Record<string, string> = {}): Promise<FaceResult> {
  const flags = { config, env: 'prod', registration, 'output-dir': outputDir, auth: 'environment', ...overrides };
  return runCli(['deploy', ...Object.entries(flags).map(([name, value]) => `--${name}=${value}`), '--json'], {
    env: { ...cloudEnv(), ...emulator.entra.servicePrincipalEnv() },
    timeoutMs: 90_000,
  });
}

const endpointResource = () => emulator.state.get(emulator.state.id('onlineEndpoints', 'support-bot'));
const deploymentResource = (name: string) => emulator.state.get(emulator.state.id('onlineEndpoints', 'support-bot', 'deployments', name));
const primaryKey = () => emulator.state.endpointKeys(endpointResource()!.id)!.primaryKey;

describe('deploy to an Azure ML online endpoint', () => {
  it('creates the endpoint and the deployment from deployment_config.json, which takes all traffic first', async () => {
    const result = await cli();
    expect(result.exitCode, result.stderr).toBe(0);
    const outputs = JSON.parse(result.stdout) as Record<string, string>;
    expect(outputs).toEqual({
      'endpoint-url': 'https://support-bot.westeurope.inference.ml.azure.com/score',
      'endpoint-key': '***',
      'deployment-name': 'blue',
      manifest: path.join(outputDir, 'deployment.json'),
    });
    expect(endpointResource()!.properties).toMatchObject({ authMode: 'Key', traffic: { blue: 100 }, provisioningState: 'Succeeded' });
    const blue = deploymentResource('blue')!;
    expect(blue.sku).toEqual({ name: 'Default', capacity: 2 });
    expect(blue.properties).toMatchObject({
      endpointComputeType: 'Managed',
      model: emulator.state.id('models', MODEL, 'versions', '3'),
      instanceType: 'Standard_F4s_v2',
      environmentVariables: { LOG_LEVEL: 'info', PROMPTFLOW_RUN_MODE: 'serving' },
    });
    const environment = emulator.state.get(blue.properties.environmentId as string)!;
    expect(environment.properties).toMatchObject({
      image: 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest',
      inferenceConfig: { scoringRoute: { path: '/score', port: 8080 }, readinessRoute: { path: '/health', port: 8080 } },
    });
    expect(result.stderr).toContain('blue is the only deployment with traffic on support-bot: it takes 100%');
    expect(result.stderr + result.stdout).not.toContain(primaryKey());
    const manifest = JSON.parse(await readFile(path.join(outputDir, 'deployment.json'), 'utf8'));
    expect(manifest).toMatchObject({ schema: 'llmops/deployment@1', endpoint: 'support-bot', deployment: 'blue', traffic: { blue: 100 }, previousTraffic: {} });
    expect(JSON.stringify(manifest)).not.toContain(primaryKey());
  });

  it('shifts the configured share to a new deployment through the GitHub action, masking the key it outputs', async () => {
    expect((await cli()).exitCode).toBe(0);
    const { scope } = emulator;
    const result = await runGitHubAction(
      'deploy',
      {
        config,
        env: 'prod',
        registration,
        'deployment-name': 'green',
        'output-dir': outputDir,
        auth: 'github-oidc',
        'subscription-id': scope.subscriptionId,
      },
      { env: { ...cloudEnv(), ...emulator.entra.githubOidcEnv() }, timeoutMs: 90_000 },
    );
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(endpointResource()!.properties.traffic).toEqual({ blue: 70, green: 30 });
    expect(result.outputs['endpoint-key']).toBe(primaryKey());
    // The runner learns the key once, to mask it, and sees it nowhere else.
    expect(result.stdout.split('\n').filter((line) => line.includes(primaryKey()))).toEqual([`::add-mask::${primaryKey()}`]);
    expect(result.summary).toContain('| `blue` | 100% | 70% |');
    expect(result.summary).toContain('| `green` | 0% | 30% |');
  });

  it('signs in as the Azure DevOps service connection and sets the key as a secret variable', async () => {
    const { entra, url, scope } = emulator;
    const result = await runAzurePipelinesTask(
      'deploy',
      { config, env: 'prod', registration, 'output-dir': outputDir, 'azure-subscription': entra.serviceConnectionId },
      { env: { ...emulator.childEnv(), LLMOPS_LRO_POLL_MS: '0', ...entra.azureDevOpsServiceConnectionEnv('workload-identity', url, scope.subscriptionId) }, timeoutMs: 90_000 },
    );
    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.taskResult).toBe('Succeeded');
    expect(result.stdout).toContain(`##vso[task.setvariable variable=endpointKey;isOutput=true;issecret=true;]${primaryKey()}`);
    expect(result.outputs.endpointUrl).toBe('https://support-bot.westeurope.inference.ml.azure.com/score');
  });

  it('leaves the traffic as it was when the deployment fails, in one line', async () => {
    expect((await cli()).exitCode).toBe(0);
    emulator.faults.failLro({ code: 'ImageNotFound', message: 'The image could not be pulled.', match: { method: 'PUT', path: '/deployments/green' } });
    const result = await cli({ 'deployment-name': 'green' });
    expect(result.exitCode).toBe(1);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^error: deployment support-bot\/green failed: .*The image could not be pulled.*; endpoint traffic is unchanged$/);
    expect(endpointResource()!.properties.traffic).toEqual({ blue: 100 });
  });

  it('ends with the old traffic when the traffic change itself fails, naming the ready deployment', async () => {
    expect((await cli()).exitCode).toBe(0);
    emulator.faults.failLro({ code: 'Conflict', message: 'Endpoint busy.', match: { method: 'PUT', path: /\/onlineEndpoints\/support-bot$/ } });
    const result = await cli({ 'deployment-name': 'green' });
    expect(result.exitCode).toBe(1);
    // The service kept the failed request's traffic: llmops puts the old one back.
    expect(result.stderr).toMatch(/error: deployment green is ready but the traffic change on support-bot failed: .*Endpoint busy.*; traffic was put back \(blue 100%\)/);
    expect(deploymentResource('green')!.properties.provisioningState).toBe('Succeeded');
    expect(endpointResource()!.properties.traffic).toEqual({ blue: 100 });
  });

  it('rolls the traffic back to what the last deploy found, leaving the deployments in place', async () => {
    expect((await cli()).exitCode).toBe(0);
    // Right after the first deploy there is nothing to go back to.
    const early = await cli({ rollback: 'true' });
    expect(early.exitCode).toBe(1);
    expect(early.stderr).toContain('nothing to roll back to: blue was the first deployment with traffic on support-bot');

    expect((await cli({ 'deployment-name': 'green' })).exitCode).toBe(0);
    expect(endpointResource()!.properties.traffic).toEqual({ blue: 70, green: 30 });
    const result = await cli({ rollback: 'true' });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(endpointResource()!.properties.traffic).toEqual({ blue: 100, green: 0 });
    expect(deploymentResource('green')).toBeDefined();
    expect(JSON.parse(result.stdout)).toEqual({
      'endpoint-url': 'https://support-bot.westeurope.inference.ml.azure.com/score',
      manifest: path.join(outputDir, 'deployment.json'),
    });
    expect(result.stderr).toContain('traffic of support-bot: blue 100%, green 0% (was blue 70%, green 30%)');
  });

  it('ends refused sign-in and persistent service errors in one line, as register-if-changed does', async () => {
    const refused = await runCli(['deploy', '--config', config, '--env', 'prod', '--registration', registration, '--output-dir', outputDir, '--auth', 'environment'], {
      env: { ...cloudEnv(), ...emulator.entra.servicePrincipalEnv(), AZURE_CLIENT_SECRET: 'canary-wrong-secret' },
      timeoutMs: 90_000,
    });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr.trim().split('\n').at(-1)).toMatch(/^error: deploying to support-bot: Azure sign-in failed: /);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(refused.stderr).not.toContain('canary-wrong-secret');

    emulator.faults.serverError({ times: 100, match: { method: 'GET', path: '/onlineEndpoints/support-bot' } });
    const failing = await cli();
    expect(failing.exitCode).toBe(1);
    expect(failing.stderr.trim().split('\n').at(-1)).toBe(
      'error: deploying to support-bot: 500 InternalServerError: Injected server error. (after retries)',
    );
    expect(endpointResource()).toBeUndefined();
  });

  it('refuses what it cannot deploy before calling Azure', async () => {
    const local = path.join(root, 'local.json');
    await writeFile(
      local,
      JSON.stringify({
        schema: 'llmops/registration@1',
        experiment: 'support_bot',
        registry: { kind: 'local', path: '/tmp/registry' },
        assets: [{ kind: 'model', name: MODEL, version: '1', changed: true, hash: 'h', role: 'flow', uri: '/tmp/registry/x', source: 'flows/classify' }],
        skipped: [],
      }),
    );
    const cases: [Record<string, string>, string][] = [
      [{ registration: local }, 'the flow was registered in a local registry (/tmp/registry); deploying to Azure ML needs it registered with registry: azureml'],
      [{ 'endpoint-name': 'x' }, "endpoint-name: 'x' must be 3-32 letters, digits and '-', starting with a letter"],
      [{ 'workspace-name': 'other-ws' }, `the flow model ${MODEL}:3 is registered in workspace`],
      [{ target: 'kubernetes' }, 'llmops deploy to kubernetes is not available yet'],
      [{ rollback: 'true' }, 'deployment manifest not found (a rollback needs the manifest the deploy wrote)'],
    ];
    for (const [overrides, expected] of cases) {
      const result = await cli(overrides);
      expect(result.exitCode, JSON.stringify(overrides)).toBe(1);
      expect(result.stderr).toContain(expected);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(emulator.calls.entries).toEqual([]);
  });
});
