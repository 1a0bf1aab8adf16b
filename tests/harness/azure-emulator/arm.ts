import { randomBytes } from 'node:crypto';
import type { Faults, LroFault } from './faults.js';
import {
  type ArmResource,
  type EmulatorState,
  type Operation,
  randomId,
  sortByCreation,
} from './state.js';

/**
 * The Microsoft.MachineLearningServices resource provider as far as llmops uses it, following
 * the 2022-10-01 REST spec (what @azure/arm-machinelearning 2.1.1 speaks): workspaces,
 * datastores, data, model and environment containers/versions, online endpoints and deployments with their
 * long-running operations. Anything else answers 404 `NotImplementedByEmulator`, so a test
 * that strays off the map fails loudly instead of passing against an invented answer.
 */

export const PROVIDER = 'Microsoft.MachineLearningServices';

export interface ArmRequest {
  method: string;
  /** Decoded path segments, without empty ones. */
  segments: string[];
  query: URLSearchParams;
  body: unknown;
}

export interface ArmReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ArmContext {
  state: EmulatorState;
  faults: Faults;
  /** https://127.0.0.1:<port>, for absolute LRO and nextLink URLs. */
  baseUrl: string;
  apiVersion: string;
  pageSize: number;
  /** InProgress polls every long-running operation reports before it ends (faults add more). */
  lroInProgressPolls: number;
  /** Retry-After seconds sent with 202 responses and InProgress polls. */
  lroRetryAfterSeconds: number;
  /** Scoring URI of an endpoint; defaults to the real service's shape. */
  scoringUri(endpointName: string): string;
}

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  toReply(): ArmReply {
    return { status: this.status, body: { error: { code: this.code, message: this.message, details: [] } } };
  }
}

export function handleArm(request: ArmRequest, ctx: ArmContext): ArmReply {
  try {
    return route(request, ctx);
  } catch (error) {
    if (error instanceof ArmError) return error.toReply();
    throw error;
  }
}

function route(request: ArmRequest, ctx: ArmContext): ArmReply {
  const s = request.segments;
  const lower = s.map((segment) => segment.toLowerCase());

  // /subscriptions/{sub}/providers/Microsoft.MachineLearningServices/locations/{loc}/mfeOperations(Status|Results)/{id}
  if (
    s.length === 8 &&
    lower[0] === 'subscriptions' &&
    lower[2] === 'providers' &&
    lower[3] === PROVIDER.toLowerCase() &&
    lower[4] === 'locations'
  ) {
    const kind = lower[6];
    if (request.method !== 'GET') throw methodNotAllowed(request);
    if (kind === 'mfeoperationsstatus') return operationStatus(ctx, s[7]!);
    if (kind === 'mfeoperationresults') return operationResult(ctx, s[7]!);
  }

  // /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/...
  if (
    s.length >= 8 &&
    lower[0] === 'subscriptions' &&
    lower[2] === 'resourcegroups' &&
    lower[4] === 'providers' &&
    lower[5] === PROVIDER.toLowerCase() &&
    lower[6] === 'workspaces'
  ) {
    const workspaceId = `/${s.slice(0, 8).join('/')}`;
    const workspace = ctx.state.get(workspaceId);
    if (!workspace) {
      throw new ArmError(
        404,
        'ResourceNotFound',
        `The Resource '${PROVIDER}/workspaces/${s[7]}' under resource group '${s[3]}' was not found.`,
      );
    }
    return routeWorkspace(request, ctx, workspace, s.slice(8), lower.slice(8));
  }

  throw notImplemented(request);
}

function routeWorkspace(
  request: ArmRequest,
  ctx: ArmContext,
  workspace: ArmResource,
  rest: string[],
  lower: string[],
): ArmReply {
  const { method } = request;
  const [collection, , sub, , action] = lower;

  if (rest.length === 0) {
    if (method === 'GET') return ok(workspace);
    throw methodNotAllowed(request);
  }

  if (collection === 'datastores') {
    if (rest.length === 1 && method === 'GET') return listDatastores(request, ctx, workspace);
    if (rest.length === 2) return datastore(request, ctx, workspace, rest[1]!);
    if (rest.length === 3 && sub === 'listsecrets' && method === 'POST') return listSecrets(ctx, workspace, rest[1]!);
  }

  if (collection === 'models' || collection === 'data' || collection === 'environments') {
    const kind = collection;
    if (rest.length === 1 && method === 'GET') return listContainers(request, ctx, workspace, kind);
    if (rest.length === 2) return container(request, ctx, workspace, kind, rest[1]!);
    if (rest.length === 3 && sub === 'versions' && method === 'GET') {
      return listVersions(request, ctx, workspace, kind, rest[1]!);
    }
    if (rest.length === 4 && sub === 'versions') return version(request, ctx, workspace, kind, rest[1]!, rest[3]!);
  }

  if (collection === 'onlineendpoints') {
    if (rest.length === 1 && method === 'GET') {
      return page(request, ctx, ctx.state.children(workspace.id, 'onlineEndpoints'), present(ctx));
    }
    if (rest.length === 2) return endpoint(request, ctx, workspace, rest[1]!);
    if (rest.length === 3 && method === 'POST') return endpointAction(request, ctx, workspace, rest[1]!, sub!);
    if (rest.length === 3 && sub === 'deployments' && method === 'GET') {
      const endpointResource = requireEndpoint(ctx, workspace, rest[1]!);
      return page(request, ctx, ctx.state.children(endpointResource.id, 'deployments'), present(ctx));
    }
    if (rest.length === 4 && sub === 'deployments') return deployment(request, ctx, workspace, rest[1]!, rest[3]!);
    if (rest.length === 5 && sub === 'deployments' && action === 'getlogs' && method === 'POST') {
      const found = ctx.state.get(`${workspace.id}/onlineEndpoints/${rest[1]}/deployments/${rest[3]}`);
      if (!found) throw notFound('onlineEndpoints/deployments', `${rest[1]}/${rest[3]}`);
      return ok({ content: `[emulator] logs of deployment ${found.name}\n` });
    }
  }

  throw notImplemented(request);
}

// ---- datastores --------------------------------------------------------------------------------

function listDatastores(request: ArmRequest, ctx: ArmContext, workspace: ArmResource): ArmReply {
  let items = ctx.state.children(workspace.id, 'datastores');
  const isDefault = request.query.get('isDefault');
  if (isDefault !== null) items = items.filter((item) => String(item.properties.isDefault === true) === isDefault);
  const names = request.query.getAll('names');
  if (names.length > 0) {
    const wanted = new Set(names.flatMap((value) => value.split(',')).map((value) => value.toLowerCase()));
    items = items.filter((item) => wanted.has(item.name.toLowerCase()));
  }
  return page(request, ctx, items, (item) => item);
}

function datastore(request: ArmRequest, ctx: ArmContext, workspace: ArmResource, name: string): ArmReply {
  const id = `${workspace.id}/datastores/${name}`;
  switch (request.method) {
    case 'GET': {
      const found = ctx.state.get(id);
      if (!found) throw notFound('datastores', name);
      return ok(found);
    }
    case 'PUT': {
      const body = requireBody(request);
      const properties = { ...(body.properties as Record<string, unknown>) };
      const credentials = { ...((properties.credentials ?? {}) as Record<string, unknown>) };
      // Secrets are write-only: kept for listSecrets, never echoed by GET.
      const secrets = credentials.secrets as Record<string, unknown> | undefined;
      delete credentials.secrets;
      properties.credentials = credentials;
      const existing = ctx.state.get(id);
      properties.isDefault = existing?.properties.isDefault ?? false;
      const stored = ctx.state.put({ id, name, type: `${PROVIDER}/workspaces/datastores`, properties });
      if (secrets?.secretsType === 'AccountKey' && typeof secrets.key === 'string') {
        ctx.state.setDatastoreSecrets(id, { secretsType: 'AccountKey', key: secrets.key });
      } else if (secrets?.secretsType === 'Sas' && typeof secrets.sasToken === 'string') {
        ctx.state.setDatastoreSecrets(id, { secretsType: 'Sas', sasToken: secrets.sasToken });
      }
      return { status: existing ? 200 : 201, body: stored };
    }
    case 'DELETE':
      return { status: ctx.state.delete(id) ? 200 : 204 };
    default:
      throw methodNotAllowed(request);
  }
}

function listSecrets(ctx: ArmContext, workspace: ArmResource, name: string): ArmReply {
  const id = `${workspace.id}/datastores/${name}`;
  const found = ctx.state.get(id);
  if (!found) throw notFound('datastores', name);
  const secrets = ctx.state.datastoreSecrets(id);
  if (!secrets) {
    throw new ArmError(400, 'UserError', `Datastore '${name}' uses credentials without secrets; nothing to list.`);
  }
  return ok(secrets);
}

// ---- data and model assets --------------------------------------------------------------------

type AssetKind = 'models' | 'data' | 'environments';

const ASSET_TYPES: Record<AssetKind, { container: string; version: string }> = {
  models: { container: `${PROVIDER}/workspaces/models`, version: `${PROVIDER}/workspaces/models/versions` },
  data: { container: `${PROVIDER}/workspaces/data`, version: `${PROVIDER}/workspaces/data/versions` },
  environments: {
    container: `${PROVIDER}/workspaces/environments`,
    version: `${PROVIDER}/workspaces/environments/versions`,
  },
};

function listContainers(request: ArmRequest, ctx: ArmContext, workspace: ArmResource, kind: AssetKind): ArmReply {
  const items = filterArchived(request, ctx.state.children(workspace.id, kind));
  return page(request, ctx, items, present(ctx));
}

function container(
  request: ArmRequest,
  ctx: ArmContext,
  workspace: ArmResource,
  kind: AssetKind,
  name: string,
): ArmReply {
  const id = `${workspace.id}/${kind}/${name}`;
  switch (request.method) {
    case 'GET': {
      const found = ctx.state.get(id);
      if (!found) throw notFound(kind, name);
      return ok(present(ctx)(found));
    }
    case 'PUT': {
      const body = requireBody(request);
      const properties: Record<string, unknown> = { isArchived: false, ...(body.properties as Record<string, unknown>) };
      delete properties.latestVersion;
      delete properties.nextVersion;
      if (kind === 'data' && !properties.dataType) throw badRequest('properties.dataType is required.');
      const existing = ctx.state.get(id);
      const stored = ctx.state.put({ id, name, type: ASSET_TYPES[kind].container, properties });
      return { status: existing ? 200 : 201, body: present(ctx)(stored) };
    }
    case 'DELETE':
      return { status: ctx.state.delete(id) ? 200 : 204 };
    default:
      throw methodNotAllowed(request);
  }
}

function listVersions(
  request: ArmRequest,
  ctx: ArmContext,
  workspace: ArmResource,
  kind: AssetKind,
  name: string,
): ArmReply {
  let items = filterArchived(request, ctx.state.children(`${workspace.id}/${kind}/${name}`, 'versions'));

  const version = request.query.get('version');
  if (version !== null) items = items.filter((item) => item.name === version);
  const tags = request.query.get('$tags') ?? request.query.get('tags');
  if (tags) items = items.filter((item) => matchesPairs(item.properties.tags, tags));
  const properties = request.query.get('properties');
  if (properties) items = items.filter((item) => matchesPairs(item.properties.properties, properties));

  items = sortBy(request.query.get('$orderBy'), items);
  const top = request.query.get('$top');
  if (top !== null) {
    const count = Number(top);
    if (!Number.isInteger(count) || count < 0) throw badRequest(`$top must be a non-negative integer, got '${top}'.`);
    // $top caps the whole result: no nextLink past it.
    items = items.slice(0, count);
  }
  return page(request, ctx, items, (item) => item);
}

/**
 * $orderBy as azure-ai-ml sends it (OrderString: 'createdtime asc' / 'createdtime desc'). Other
 * values are refused rather than guessed at, so code cannot come to rely on an ordering the real
 * service may not offer. Without $orderBy the newest come first.
 */
function sortBy(orderBy: string | null, items: ArmResource[]): ArmResource[] {
  const byCreation = sortByCreation(items);
  if (orderBy === null) return byCreation.reverse();
  const match = /^\s*createdtime(?:\s+(asc|desc))?\s*$/i.exec(orderBy);
  if (!match) throw badRequest(`Unsupported $orderBy '${orderBy}'; use 'createdtime asc' or 'createdtime desc'.`);
  return match[1]?.toLowerCase() === 'desc' ? byCreation.reverse() : byCreation;
}

/** `a,b=1`: tag a present, tag b equal to 1. */
function matchesPairs(bag: unknown, filter: string): boolean {
  const values = (bag ?? {}) as Record<string, unknown>;
  return filter.split(',').every((pair) => {
    const [name, value] = pair.split('=', 2) as [string, string | undefined];
    return name in values && (value === undefined || values[name] === value);
  });
}

function filterArchived(request: ArmRequest, items: ArmResource[]): ArmResource[] {
  const view = (request.query.get('listViewType') ?? 'ActiveOnly').toLowerCase();
  if (view === 'all') return items;
  const archived = view === 'archivedonly';
  return items.filter((item) => (item.properties.isArchived === true) === archived);
}

/** Fields a version keeps for life; a PUT that changes one is refused like the service does. */
const IMMUTABLE: Record<AssetKind, string[]> = {
  models: ['modelUri', 'modelType'],
  data: ['dataUri', 'dataType'],
  environments: ['image'],
};

function version(
  request: ArmRequest,
  ctx: ArmContext,
  workspace: ArmResource,
  kind: AssetKind,
  name: string,
  versionName: string,
): ArmReply {
  const containerId = `${workspace.id}/${kind}/${name}`;
  const id = `${containerId}/versions/${versionName}`;
  switch (request.method) {
    case 'GET': {
      const found = ctx.state.get(id);
      if (!found) throw notFound(`${kind}/versions`, `${name}:${versionName}`);
      return ok(found);
    }
    case 'PUT': {
      const body = requireBody(request);
      const properties: Record<string, unknown> = {
        isAnonymous: false,
        isArchived: false,
        ...(body.properties as Record<string, unknown>),
      };
      if (kind === 'data') {
        if (!properties.dataType) throw badRequest('properties.dataType is required.');
        if (!properties.dataUri) throw badRequest('properties.dataUri is required.');
      }
      const existing = ctx.state.get(id);
      if (existing) {
        for (const field of IMMUTABLE[kind]) {
          if (existing.properties[field] !== undefined && existing.properties[field] !== properties[field]) {
            throw new ArmError(
              409,
              'UserError',
              `${{ models: 'Model', data: 'Data', environments: 'Environment' }[kind]} version ${name}:${versionName} already exists; its ${field} cannot be changed.`,
            );
          }
        }
      }
      if (!ctx.state.get(containerId)) {
        // Creating a version creates its container, as the service does.
        const containerProperties: Record<string, unknown> = { isArchived: false };
        if (kind === 'data') containerProperties.dataType = properties.dataType;
        ctx.state.put({ id: containerId, name, type: ASSET_TYPES[kind].container, properties: containerProperties });
      }
      const stored = ctx.state.put({ id, name: versionName, type: ASSET_TYPES[kind].version, properties });
      return { status: existing ? 200 : 201, body: stored };
    }
    case 'DELETE':
      return { status: ctx.state.delete(id) ? 200 : 204 };
    default:
      throw methodNotAllowed(request);
  }
}

// ---- online endpoints and deployments ---------------------------------------------------------

function requireEndpoint(ctx: ArmContext, workspace: ArmResource, name: string): ArmResource {
  const found = ctx.state.get(`${workspace.id}/onlineEndpoints/${name}`);
  if (!found) throw notFound('onlineEndpoints', name);
  return found;
}

function endpoint(request: ArmRequest, ctx: ArmContext, workspace: ArmResource, name: string): ArmReply {
  const id = `${workspace.id}/onlineEndpoints/${name}`;
  const existing = ctx.state.get(id);
  switch (request.method) {
    case 'GET':
      if (!existing) throw notFound('onlineEndpoints', name);
      return ok(present(ctx)(existing));

    case 'PUT': {
      const body = requireBody(request);
      if (typeof body.location !== 'string' || !body.location) throw badRequest('location is required.');
      const properties = { ...((body.properties ?? {}) as Record<string, unknown>) };
      if (!properties.authMode) throw badRequest('properties.authMode is required.');
      validateTraffic(ctx, id, properties.traffic);
      for (const readOnly of ['provisioningState', 'scoringUri', 'swaggerUri', 'keys']) delete properties[readOnly];
      const resource: ArmResource = {
        ...pick(body, ['location', 'tags', 'sku', 'identity', 'kind']),
        id,
        name,
        type: `${PROVIDER}/workspaces/onlineEndpoints`,
        properties: { ...properties, provisioningState: existing ? 'Updating' : 'Creating' },
      };
      const stored = ctx.state.put(resource);
      if (!ctx.state.endpointKeys(id)) {
        ctx.state.setEndpointKeys(id, { primaryKey: endpointKey(), secondaryKey: endpointKey() });
      }
      const operation = startOperation(request, ctx, (outcome) => {
        const current = ctx.state.get(id);
        if (current) current.properties.provisioningState = outcome;
        return current;
      });
      return asyncOperationReply(ctx, existing ? 200 : 201, present(ctx)(stored), operation);
    }

    case 'PATCH': {
      if (!existing) throw notFound('onlineEndpoints', name);
      // PartialMinimalTrackedResourceWithIdentity: only tags and identity change; the whole
      // endpoint (traffic included) changes with PUT.
      const body = requireBody(request);
      const operation = startOperation(request, ctx, (outcome) => {
        const current = ctx.state.get(id);
        if (!current) return undefined;
        if (outcome === 'Succeeded') {
          if (body.tags !== undefined) current.tags = body.tags as Record<string, string>;
          if (body.identity !== undefined) current.identity = body.identity as Record<string, unknown>;
        }
        current.properties.provisioningState = outcome;
        return present(ctx)(current);
      });
      existing.properties.provisioningState = 'Updating';
      return locationReply(ctx, operation);
    }

    case 'DELETE': {
      if (!existing) return { status: 204 };
      existing.properties.provisioningState = 'Deleting';
      const operation = startOperation(request, ctx, (outcome) => {
        if (outcome === 'Succeeded') ctx.state.delete(id);
        else {
          const current = ctx.state.get(id);
          if (current) current.properties.provisioningState = 'Failed';
        }
        return undefined;
      });
      return locationReply(ctx, operation);
    }

    default:
      throw methodNotAllowed(request);
  }
}

function endpointAction(
  request: ArmRequest,
  ctx: ArmContext,
  workspace: ArmResource,
  name: string,
  action: string,
): ArmReply {
  const found = requireEndpoint(ctx, workspace, name);
  const keys = ctx.state.endpointKeys(found.id);
  switch (action) {
    case 'listkeys':
      if (found.properties.authMode !== 'Key' || !keys) {
        throw badRequest(`Endpoint '${name}' does not use key authentication (authMode ${String(found.properties.authMode)}).`);
      }
      return ok(keys);
    case 'regeneratekeys': {
      const body = requireBody(request);
      if (body.keyType !== 'Primary' && body.keyType !== 'Secondary') throw badRequest('keyType must be Primary or Secondary.');
      const operation = startOperation(request, ctx, (outcome) => {
        if (outcome === 'Succeeded' && keys) {
          const value = typeof body.keyValue === 'string' && body.keyValue ? body.keyValue : endpointKey();
          if (body.keyType === 'Primary') keys.primaryKey = value;
          else keys.secondaryKey = value;
        }
        return undefined;
      });
      return locationReply(ctx, operation);
    }
    case 'token':
      if (found.properties.authMode !== 'AMLToken') {
        throw badRequest(`Endpoint '${name}' does not use AMLToken authentication.`);
      }
      return ok({
        accessToken: `emulator-aml-token-${randomBytes(8).toString('hex')}`,
        tokenType: 'Bearer',
        expiryTimeUtc: Math.floor(Date.now() / 1000) + 3600,
        refreshAfterTimeUtc: Math.floor(Date.now() / 1000) + 1800,
      });
    default:
      throw notImplemented(request);
  }
}

function deployment(
  request: ArmRequest,
  ctx: ArmContext,
  workspace: ArmResource,
  endpointName: string,
  name: string,
): ArmReply {
  const parent = requireEndpoint(ctx, workspace, endpointName);
  const id = `${parent.id}/deployments/${name}`;
  const existing = ctx.state.get(id);
  switch (request.method) {
    case 'GET':
      if (!existing) throw notFound('onlineEndpoints/deployments', `${endpointName}/${name}`);
      return ok(existing);

    case 'PUT': {
      const body = requireBody(request);
      if (typeof body.location !== 'string' || !body.location) throw badRequest('location is required.');
      const properties = { ...((body.properties ?? {}) as Record<string, unknown>) };
      if (!properties.endpointComputeType) throw badRequest('properties.endpointComputeType is required.');
      validateModelReference(ctx, properties.model);
      validateReference(ctx, properties.environmentId, 'Environment');
      delete properties.provisioningState;
      const stored = ctx.state.put({
        ...pick(body, ['location', 'tags', 'sku', 'identity', 'kind']),
        id,
        name,
        type: `${PROVIDER}/workspaces/onlineEndpoints/deployments`,
        properties: { ...properties, provisioningState: existing ? 'Updating' : 'Creating' },
      });
      const operation = startOperation(request, ctx, (outcome) => {
        const current = ctx.state.get(id);
        if (current) current.properties.provisioningState = outcome;
        return current;
      });
      return asyncOperationReply(ctx, existing ? 200 : 201, stored, operation);
    }

    case 'PATCH': {
      if (!existing) throw notFound('onlineEndpoints/deployments', `${endpointName}/${name}`);
      // PartialMinimalTrackedResourceWithSku: tags and sku (instance count is sku.capacity).
      const body = requireBody(request);
      existing.properties.provisioningState = 'Updating';
      const operation = startOperation(request, ctx, (outcome) => {
        const current = ctx.state.get(id);
        if (!current) return undefined;
        if (outcome === 'Succeeded') {
          if (body.tags !== undefined) current.tags = body.tags as Record<string, string>;
          if (body.sku !== undefined) current.sku = { ...current.sku, ...(body.sku as Record<string, unknown>) };
        }
        current.properties.provisioningState = outcome;
        return current;
      });
      return locationReply(ctx, operation);
    }

    case 'DELETE': {
      if (!existing) return { status: 204 };
      const traffic = (parent.properties.traffic ?? {}) as Record<string, number>;
      if ((traffic[name] ?? 0) > 0) {
        throw badRequest(
          `Deployment '${name}' still receives ${traffic[name]}% of endpoint '${endpointName}' traffic; set it to 0 first.`,
        );
      }
      existing.properties.provisioningState = 'Deleting';
      const operation = startOperation(request, ctx, (outcome) => {
        if (outcome === 'Succeeded') ctx.state.delete(id);
        else {
          const current = ctx.state.get(id);
          if (current) current.properties.provisioningState = 'Failed';
        }
        return undefined;
      });
      return locationReply(ctx, operation);
    }

    default:
      throw methodNotAllowed(request);
  }
}

/** Traffic names existing deployments, each 0..100, summing to 100 (or all 0). */
function validateTraffic(ctx: ArmContext, endpointId: string, traffic: unknown): void {
  if (traffic === undefined || traffic === null) return;
  if (typeof traffic !== 'object') throw badRequest('properties.traffic must be an object.');
  const entries = Object.entries(traffic as Record<string, unknown>);
  const deployments = new Set(ctx.state.children(endpointId, 'deployments').map((item) => item.name.toLowerCase()));
  let sum = 0;
  for (const [deploymentName, value] of entries) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
      throw badRequest(`Traffic for deployment '${deploymentName}' must be an integer from 0 to 100.`);
    }
    if (!deployments.has(deploymentName.toLowerCase())) {
      throw badRequest(`Traffic refers to deployment '${deploymentName}', which does not exist in this endpoint.`);
    }
    sum += value;
  }
  if (entries.length > 0 && sum !== 0 && sum !== 100) {
    throw badRequest(`Traffic values must add up to 100 (or all be 0); they add up to ${sum}.`);
  }
}

/** An asset given as an ARM id of this emulator must exist; other forms are taken on trust. */
function validateReference(ctx: ArmContext, reference: unknown, what: string): void {
  if (typeof reference !== 'string' || !reference.toLowerCase().startsWith('/subscriptions/')) return;
  if (!ctx.state.get(reference)) throw badRequest(`${what} '${reference}' was not found.`);
}

/** A model given as an ARM id of this emulator must exist; other forms are taken on trust. */
function validateModelReference(ctx: ArmContext, model: unknown): void {
  if (typeof model !== 'string' || !model.toLowerCase().startsWith('/subscriptions/')) return;
  if (!ctx.state.get(model)) throw badRequest(`Model '${model}' was not found.`);
}

// ---- long-running operations -------------------------------------------------------------------

function startOperation(
  request: ArmRequest,
  ctx: ArmContext,
  finish: (outcome: 'Succeeded' | 'Failed') => ArmResource | undefined,
): Operation {
  const path = `/${request.segments.join('/')}`;
  const faults: LroFault[] = ctx.faults.takeLroFaults(request.method, path);
  let inProgressPolls = ctx.lroInProgressPolls;
  let outcome: 'Succeeded' | 'Failed' = 'Succeeded';
  let error: Operation['error'];
  for (const fault of faults) {
    if (fault.kind === 'lro-slow') inProgressPolls = fault.inProgressPolls;
    if (fault.kind === 'lro-failed') {
      outcome = 'Failed';
      error = { code: fault.code, message: fault.message };
    }
  }
  const operation: Operation = {
    id: randomId(),
    status: 'InProgress',
    inProgressPollsLeft: inProgressPolls,
    outcome,
    error,
    startTime: ctx.state.now(),
    finish,
  };
  ctx.state.operations.set(operation.id, operation);
  return operation;
}

/** One poll: counts down the InProgress answers, then applies the operation's effect once. */
function advance(ctx: ArmContext, operation: Operation): void {
  if (operation.status !== 'InProgress') return;
  if (operation.inProgressPollsLeft > 0) {
    operation.inProgressPollsLeft -= 1;
    return;
  }
  operation.status = operation.outcome;
  operation.endTime = ctx.state.now();
  operation.result = operation.finish(operation.outcome);
}

function operationUrl(ctx: ArmContext, kind: 'mfeOperationsStatus' | 'mfeOperationResults', operation: Operation): string {
  const { subscriptionId, location } = ctx.state.scope;
  return `${ctx.baseUrl}/subscriptions/${subscriptionId}/providers/${PROVIDER}/locations/${location}/${kind}/${operation.id}?api-version=${ctx.apiVersion}`;
}

/** PUT: the resource as accepted, plus Azure-AsyncOperation to poll (absolute URL, as ARM sends). */
function asyncOperationReply(ctx: ArmContext, status: number, body: unknown, operation: Operation): ArmReply {
  return {
    status,
    body,
    headers: { 'Azure-AsyncOperation': operationUrl(ctx, 'mfeOperationsStatus', operation) },
  };
}

/** PATCH, DELETE and POST actions: 202 with Location and Retry-After. */
function locationReply(ctx: ArmContext, operation: Operation): ArmReply {
  return {
    status: 202,
    headers: {
      Location: operationUrl(ctx, 'mfeOperationResults', operation),
      'Retry-After': String(ctx.lroRetryAfterSeconds),
    },
  };
}

function findOperation(ctx: ArmContext, id: string): Operation {
  const operation = ctx.state.operations.get(id);
  if (!operation) throw new ArmError(404, 'NotFound', `Operation '${id}' was not found.`);
  return operation;
}

function operationStatus(ctx: ArmContext, id: string): ArmReply {
  const operation = findOperation(ctx, id);
  advance(ctx, operation);
  const body: Record<string, unknown> = {
    id: new URL(operationUrl(ctx, 'mfeOperationsStatus', operation)).pathname,
    name: operation.id,
    status: operation.status,
    startTime: operation.startTime,
  };
  if (operation.endTime) body.endTime = operation.endTime;
  if (operation.status === 'Failed' && operation.error) body.error = operation.error;
  const headers: Record<string, string> =
    operation.status === 'InProgress' ? { 'Retry-After': String(ctx.lroRetryAfterSeconds) } : {};
  return { status: 200, body, headers };
}

function operationResult(ctx: ArmContext, id: string): ArmReply {
  const operation = findOperation(ctx, id);
  advance(ctx, operation);
  switch (operation.status) {
    case 'InProgress':
      return {
        status: 202,
        headers: {
          Location: operationUrl(ctx, 'mfeOperationResults', operation),
          'Retry-After': String(ctx.lroRetryAfterSeconds),
        },
      };
    case 'Succeeded':
      return operation.result ? ok(operation.result) : { status: 200 };
    default: {
      const error = operation.error ?? { code: 'OperationFailed', message: 'The operation failed.' };
      return new ArmError(400, error.code, error.message).toReply();
    }
  }
}

// ---- shared helpers ----------------------------------------------------------------------------

/** Read-only fields the service computes when it answers. */
function present(ctx: ArmContext): (resource: ArmResource) => ArmResource {
  return (resource) => {
    if (resource.type === ASSET_TYPES.models.container || resource.type === ASSET_TYPES.data.container) {
      const versions = sortByCreation(ctx.state.children(resource.id, 'versions'));
      const numbers = versions.map((item) => Number(item.name)).filter((value) => Number.isInteger(value));
      return {
        ...resource,
        properties: {
          ...resource.properties,
          latestVersion: versions.at(-1)?.name,
          nextVersion: String(numbers.length > 0 ? Math.max(...numbers) + 1 : 1),
        },
      };
    }
    if (resource.type === `${PROVIDER}/workspaces/onlineEndpoints`) {
      return {
        ...resource,
        properties: {
          ...resource.properties,
          scoringUri: ctx.scoringUri(resource.name),
          swaggerUri: ctx.scoringUri(resource.name).replace(/\/score$/, '/swagger.json'),
        },
      };
    }
    return resource;
  };
}

function page(
  request: ArmRequest,
  ctx: ArmContext,
  items: ArmResource[],
  view: (resource: ArmResource) => ArmResource,
): ArmReply {
  const skip = Number(request.query.get('$skip') ?? '0');
  const start = Number.isInteger(skip) && skip > 0 ? skip : 0;
  const value = items.slice(start, start + ctx.pageSize).map(view);
  const body: Record<string, unknown> = { value };
  if (start + ctx.pageSize < items.length) {
    const next = new URL(`${ctx.baseUrl}/${request.segments.map(encodeURIComponent).join('/')}`);
    for (const [name, query] of request.query) if (name !== '$skip') next.searchParams.append(name, query);
    next.searchParams.set('$skip', String(start + ctx.pageSize));
    body.nextLink = next.toString();
  }
  return ok(body);
}

function ok(body: unknown): ArmReply {
  return { status: 200, body };
}

function requireBody(request: ArmRequest): Record<string, unknown> {
  if (!request.body || typeof request.body !== 'object' || Array.isArray(request.body)) {
    throw badRequest('The request body must be a JSON object.');
  }
  return request.body as Record<string, unknown>;
}

function pick(source: Record<string, unknown>, keys: string[]): Partial<ArmResource> {
  const picked: Record<string, unknown> = {};
  for (const name of keys) if (source[name] !== undefined) picked[name] = source[name];
  return picked as Partial<ArmResource>;
}

function endpointKey(): string {
  return randomBytes(24).toString('base64url');
}

function badRequest(message: string): ArmError {
  return new ArmError(400, 'BadArgument', message);
}

function notFound(type: string, name: string): ArmError {
  return new ArmError(404, 'UserError', `Could not find ${type} '${name}'.`);
}

function methodNotAllowed(request: ArmRequest): ArmError {
  return new ArmError(405, 'MethodNotAllowed', `${request.method} is not supported on /${request.segments.join('/')}.`);
}

function notImplemented(request: ArmRequest): ArmError {
  return new ArmError(
    404,
    'NotImplementedByEmulator',
    `The Azure emulator does not implement ${request.method} /${request.segments.join('/')}.`,
  );
}
