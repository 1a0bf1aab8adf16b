/**
 * Connections declared in experiment.yaml, as the template's create_connections.py builds them
 * into promptflow connection objects (promptflow/core/_connection.py gives the properties).
 */
import * as z from 'zod';
import type { SourceLocation } from '../errors.js';
import { unknownNameMessage } from '../suggest.js';
import { nonEmptyString, parseWithSchema, strictObject } from './validate.js';
import type { FieldPath, YamlSource } from './yaml-source.js';

/** A property value as YAML may write it; promptflow receives strings (the template applies str()). */
const propertyValue = z.union([z.string(), z.number(), z.boolean()]);
const stringMap = z.record(z.string(), propertyValue).nullish();

const common = { name: nonEmptyString, connection_type: z.string() };

/**
 * The connection types the template can create, with the properties each constructor takes.
 * Keys are the lower-case spelling the template matches on; values give the canonical name.
 */
const CONNECTION_TYPES = {
  azureopenaiconnection: {
    type: 'AzureOpenAIConnection',
    schema: strictObject({
      ...common,
      api_base: propertyValue,
      api_key: propertyValue.optional(),
      api_type: propertyValue.optional(),
      api_version: propertyValue.optional(),
      auth_mode: propertyValue.optional(),
      resource_id: propertyValue.optional(),
    }),
  },
  openaiconnection: {
    type: 'OpenAIConnection',
    schema: strictObject({
      ...common,
      api_key: propertyValue,
      organization: propertyValue.optional(),
      base_url: propertyValue.optional(),
    }),
  },
  cognitivesearchconnection: {
    type: 'CognitiveSearchConnection',
    schema: strictObject({
      ...common,
      api_base: propertyValue,
      api_key: propertyValue.optional(),
      api_version: propertyValue.optional(),
      auth_mode: propertyValue.optional(),
    }),
  },
  customconnection: {
    type: 'CustomConnection',
    schema: strictObject({ ...common, configs: stringMap, secrets: stringMap }),
  },
  formrecognizerconnection: {
    type: 'FormRecognizerConnection',
    schema: strictObject({
      ...common,
      api_key: propertyValue,
      endpoint: propertyValue,
      api_version: propertyValue.optional(),
      api_type: propertyValue.optional(),
    }),
  },
  serpconnection: {
    type: 'SerpConnection',
    schema: strictObject({ ...common, api_key: propertyValue }),
  },
  azurecontentsafetyconnection: {
    type: 'AzureContentSafetyConnection',
    schema: strictObject({
      ...common,
      api_key: propertyValue,
      endpoint: propertyValue,
      api_version: propertyValue.optional(),
      api_type: propertyValue.optional(),
    }),
  },
} as const;

export type ConnectionType = (typeof CONNECTION_TYPES)[keyof typeof CONNECTION_TYPES]['type'];
export const CONNECTION_TYPE_NAMES: readonly ConnectionType[] = Object.values(CONNECTION_TYPES).map((entry) => entry.type);

export interface ConnectionConfig {
  name: string;
  /** Canonical promptflow class name, whatever case the YAML used. */
  type: ConnectionType;
  /**
   * Strong-typed connection properties (api_base, api_key, ...) as written: a `${name}`
   * placeholder is kept until resolveConnectionSecrets fills it from the environment.
   */
  properties: Record<string, string>;
  /** CustomConnection only. */
  configs: Record<string, string>;
  /** CustomConnection only; always treated as secret. */
  secrets: Record<string, string>;
  location: SourceLocation;
  /** Where each value is written: keys are `api_key`, `configs.endpoint`, `secrets.token`. */
  valueLocations: Record<string, SourceLocation>;
}

/** Validate one raw connection entry (already known to be a mapping) read at `at` in `source`. */
export function parseConnection(source: YamlSource, raw: Record<string, unknown>, at: FieldPath): ConnectionConfig {
  const base = parseWithSchema(source, strictObjectOfCommonKeys, raw, at);
  const typeKey = base.connection_type.toLowerCase() as keyof typeof CONNECTION_TYPES;
  const known = CONNECTION_TYPES[typeKey];
  if (!known) {
    throw source.errorAt([...at, 'connection_type'], unknownNameMessage('connection type', base.connection_type, CONNECTION_TYPE_NAMES));
  }
  const parsed = parseWithSchema(source, known.schema as z.ZodType<Record<string, unknown>>, raw, at);

  const properties: Record<string, string> = {};
  const configs: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  const valueLocations: Record<string, SourceLocation> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'name' || key === 'connection_type' || value === undefined || value === null) continue;
    if (key === 'configs' || key === 'secrets') {
      const target = key === 'configs' ? configs : secrets;
      for (const [innerKey, innerValue] of Object.entries(value as Record<string, string | number | boolean>)) {
        target[innerKey] = String(innerValue);
        valueLocations[`${key}.${innerKey}`] = source.locate([...at, key, innerKey]);
      }
      continue;
    }
    properties[key] = String(value);
    valueLocations[key] = source.locate([...at, key]);
  }
  return {
    name: base.name,
    type: known.type,
    properties,
    configs,
    secrets,
    location: source.locate(at),
    valueLocations,
  };
}

/** Only the keys every connection has; the type-specific schema checks the rest. */
const strictObjectOfCommonKeys = z.looseObject(common);
