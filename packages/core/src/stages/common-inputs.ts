import type { InputSpec } from '../spec.js';

/** Inputs every stage that reads experiment.yaml shares, spelled once. */
export const configInputs = {
  config: {
    type: 'path',
    description: 'Path of the experiment.yaml (template format). Relative paths inside it resolve against its folder.',
    default: 'experiment.yaml',
  },
  env: {
    type: 'string',
    description: 'Environment name (pr, dev, prod ...): experiment.<env>.yaml overlays experiment.yaml when it exists.',
  },
} as const satisfies Record<string, InputSpec>;

export const outputDirInput = {
  'output-dir': {
    type: 'path',
    description: 'Folder for manifests, reports and promptflow run homes.',
    default: '.llmops',
  },
} as const satisfies Record<string, InputSpec>;

export const pythonInput = {
  python: {
    type: 'path',
    description: 'Python interpreter with promptflow installed. Default: .venv/bin/python of the project if present, else python3 on PATH.',
  },
} as const satisfies Record<string, InputSpec>;

/** Where an Azure ML workspace is and how to sign in to it. */
export const azureInputs = {
  auth: {
    type: 'choice',
    description:
      'How to sign in to Azure. auto tries, in order: GitHub OIDC, the Azure DevOps service connection, AZURE_* environment variables, Azure CLI, managed identity.',
    choices: ['auto', 'github-oidc', 'azure-pipelines', 'service-principal', 'environment', 'azure-cli', 'managed-identity'],
    default: 'auto',
  },
  'azure-subscription': {
    type: 'string',
    description:
      'Azure DevOps only: the Azure Resource Manager service connection (workload identity federation, service principal or managed identity). It supplies the tenant, client and subscription ids and the cloud.',
    azurePipelinesType: 'connectedService:AzureRM',
  },
  'subscription-id': {
    type: 'string',
    description: "Azure subscription id. Default on Azure DevOps: the service connection's subscription.",
    cliEnv: 'AZURE_SUBSCRIPTION_ID',
  },
  'resource-group': { type: 'string', description: 'Resource group of the Azure ML workspace.' },
  'workspace-name': { type: 'string', description: 'Azure ML workspace (or Azure AI Studio / Foundry hub project) name.' },
  'tenant-id': { type: 'string', description: 'Microsoft Entra tenant id (OIDC and service principal sign-in).', cliEnv: 'AZURE_TENANT_ID' },
  'client-id': { type: 'string', description: 'Client id of the app registration or managed identity.', cliEnv: 'AZURE_CLIENT_ID' },
} as const satisfies Record<string, InputSpec>;

export const githubTokenInput = {
  'github-token': {
    type: 'string',
    description: 'Token for pull request comments and approvals on GitHub. Without it, nothing is posted.',
    secret: true,
    cliEnv: 'GITHUB_TOKEN',
  },
} as const satisfies Record<string, InputSpec>;

/** How much runs at once: runs side by side, and lines inside each run. */
export const concurrencyInputs = {
  'max-parallel-runs': {
    type: 'integer',
    description: 'How many runs execute at once. 0 means the number of CPU cores.',
    default: 0,
    min: 0,
  },
  'line-concurrency': {
    type: 'integer',
    description: "Lines executed concurrently inside one run (promptflow's PF_WORKER_COUNT).",
    default: 4,
    min: 1,
  },
} as const satisfies Record<string, InputSpec>;
