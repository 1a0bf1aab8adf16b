import { randomBytes } from 'node:crypto';

/** Where the emulated workspace lives. */
export interface WorkspaceScope {
  subscriptionId: string;
  resourceGroup: string;
  workspaceName: string;
  location: string;
}

export interface SystemData {
  createdAt: string;
  createdBy: string;
  createdByType: 'User' | 'Application';
  lastModifiedAt: string;
  lastModifiedBy: string;
  lastModifiedByType: 'User' | 'Application';
}

/** An ARM resource as the emulator stores and returns it (a JSON body, not an SDK model). */
export interface ArmResource {
  id: string;
  name: string;
  type: string;
  properties: Record<string, unknown>;
  systemData?: SystemData;
  location?: string;
  tags?: Record<string, string>;
  sku?: Record<string, unknown>;
  identity?: Record<string, unknown>;
  kind?: string;
}

/** listSecrets answers, per the 2022-10-01 DatastoreSecrets union. */
export type DatastoreSecrets =
  | { secretsType: 'AccountKey'; key: string }
  | { secretsType: 'Sas'; sasToken: string };

export interface EndpointKeys {
  primaryKey: string;
  secondaryKey: string;
}

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

/** A long-running operation: polls left before it ends, how it ends, and what ending does. */
export interface Operation {
  id: string;
  status: OperationStatus;
  inProgressPollsLeft: number;
  outcome: 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
  startTime: string;
  endTime?: string;
  /** Applies the change when the operation ends; returns the body the final poll shows. */
  finish(outcome: 'Succeeded' | 'Failed'): ArmResource | undefined;
  /** The resource body shown by a Location poll once Succeeded (PATCH); undefined for DELETE. */
  result?: ArmResource;
}

const PROVIDER = 'Microsoft.MachineLearningServices';

/**
 * The emulator's memory: every ARM resource by id (case-insensitively, as ARM treats ids),
 * secrets kept apart from the resources the way ARM keeps them out of GET bodies, and the
 * long-running operations in flight. Tests may read and seed it directly.
 */
export class EmulatorState {
  private readonly resources = new Map<string, ArmResource>();
  private readonly secrets = new Map<string, DatastoreSecrets>();
  private readonly keys = new Map<string, EndpointKeys>();
  readonly operations = new Map<string, Operation>();
  private lastTimestamp = 0;

  constructor(readonly scope: WorkspaceScope) {}

  /** The ARM id of the default workspace, or of a child when segments are given. */
  id(...segments: string[]): string {
    const { subscriptionId, resourceGroup, workspaceName } = this.scope;
    return [
      `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${PROVIDER}/workspaces/${workspaceName}`,
      ...segments,
    ].join('/');
  }

  get(id: string): ArmResource | undefined {
    return this.resources.get(key(id));
  }

  /** Stores a resource, keeping its first systemData.createdAt. */
  put(resource: ArmResource, by = 'emulator-user'): ArmResource {
    const previous = this.get(resource.id);
    const now = this.now();
    resource.systemData = {
      createdAt: previous?.systemData?.createdAt ?? now,
      createdBy: previous?.systemData?.createdBy ?? by,
      createdByType: 'User',
      lastModifiedAt: now,
      lastModifiedBy: by,
      lastModifiedByType: 'User',
    };
    this.resources.set(key(resource.id), resource);
    return resource;
  }

  delete(id: string): boolean {
    const prefix = `${key(id)}/`;
    for (const existing of [...this.resources.keys()]) {
      if (existing.startsWith(prefix)) this.resources.delete(existing);
    }
    this.keys.delete(key(id));
    return this.resources.delete(key(id));
  }

  /** Direct children of `parentId` in `collection` (e.g. 'versions', 'deployments'), in insertion order. */
  children(parentId: string, collection: string): ArmResource[] {
    const prefix = `${key(parentId)}/${collection.toLowerCase()}/`;
    return [...this.resources.entries()]
      .filter(([id]) => id.startsWith(prefix) && !id.slice(prefix.length).includes('/'))
      .map(([, resource]) => resource);
  }

  /** A strictly increasing ISO timestamp, so ordering by creation time is never a tie. */
  now(): string {
    this.lastTimestamp = Math.max(Date.now(), this.lastTimestamp + 1);
    return new Date(this.lastTimestamp).toISOString();
  }

  // ---- secrets, kept out of resource bodies --------------------------------------------------

  setDatastoreSecrets(datastoreId: string, secrets: DatastoreSecrets | undefined): void {
    if (secrets) this.secrets.set(key(datastoreId), secrets);
    else this.secrets.delete(key(datastoreId));
  }

  datastoreSecrets(datastoreId: string): DatastoreSecrets | undefined {
    return this.secrets.get(key(datastoreId));
  }

  endpointKeys(endpointId: string): EndpointKeys | undefined {
    return this.keys.get(key(endpointId));
  }

  setEndpointKeys(endpointId: string, keys: EndpointKeys): void {
    this.keys.set(key(endpointId), keys);
  }

  // ---- conveniences for tests --------------------------------------------------------------

  workspace(): ArmResource | undefined {
    return this.get(this.id());
  }

  /** Versions of a model or data asset, oldest first. */
  versions(kind: 'models' | 'data', name: string): ArmResource[] {
    return sortByCreation(this.children(this.id(kind, name), 'versions'));
  }

  endpoint(name: string): ArmResource | undefined {
    return this.get(this.id('onlineEndpoints', name));
  }

  deployment(endpointName: string, name: string): ArmResource | undefined {
    return this.get(this.id('onlineEndpoints', endpointName, 'deployments', name));
  }

  deployments(endpointName: string): ArmResource[] {
    return this.children(this.id('onlineEndpoints', endpointName), 'deployments');
  }

  /** Seeds the workspace resource (done by startAzureEmulator). */
  seedWorkspace(): ArmResource {
    const { workspaceName, location } = this.scope;
    return this.put({
      id: this.id(),
      name: workspaceName,
      type: `${PROVIDER}/workspaces`,
      location,
      kind: 'Default',
      identity: { type: 'SystemAssigned', principalId: randomId(), tenantId: randomId() },
      sku: { name: 'Basic', tier: 'Basic' },
      properties: {
        friendlyName: workspaceName,
        workspaceId: randomId(),
        discoveryUrl: `https://${location}.api.azureml.ms/discovery`,
        mlFlowTrackingUri: `azureml://${location}.api.azureml.ms/mlflow/v1.0${this.id()}`,
        provisioningState: 'Succeeded',
        publicNetworkAccess: 'Enabled',
        storageAccount: `/subscriptions/${this.scope.subscriptionId}/resourceGroups/${this.scope.resourceGroup}/providers/Microsoft.Storage/storageAccounts/devstoreaccount1`,
      },
    });
  }
}

export function sortByCreation(resources: ArmResource[]): ArmResource[] {
  return [...resources].sort((a, b) => (a.systemData?.createdAt ?? '').localeCompare(b.systemData?.createdAt ?? ''));
}

export function randomId(): string {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function key(id: string): string {
  return id.toLowerCase().replace(/\/+$/, '');
}
