/**
 * The OpenAPI 3.0 document of the REST API, generated from the kind schemas and the kind
 * registry: `components.schemas` has every kind (and shared shapes such as Toleration), and
 * `paths` has every collection, object and `/status` path of kind-registry.ts.
 *
 * Example:
 * ```ts
 * const doc = openApiDocument() as any;
 * doc.components.schemas.TrainingJob.properties.spec.$ref === '#/components/schemas/TrainingJobSpec';
 * doc.paths['/apis/ml.quartermaster.dev/v1alpha1/namespaces/{namespace}/trainingjobs'].post.operationId === 'createNamespacedTrainingJob';
 * ```
 */
import type { TSchema } from '@sinclair/typebox';
import { KINDS, restPathFor, type KindInfo } from './kind-registry.js';
import { KIND_SCHEMAS } from './kinds/index.js';
import { ScenarioSchema } from './kinds/scenario.js';

type Json = Record<string, any>;

const REF = '#/components/schemas/';
const ref = (name: string): Json => ({ $ref: `${REF}${name}` });

/** Rewrites a TypeBox (JSON Schema) tree as OpenAPI 3.0, moving every `$id` schema into `components`. */
function toOpenApi(schema: Json, components: Json, isRoot = false): Json {
  if (!isRoot && typeof schema.$id === 'string') {
    if (!(schema.$id in components)) {
      components[schema.$id] = {}; // reserve first: shapes may refer to themselves
      components[schema.$id] = toOpenApi(schema, components, true);
    }
    return ref(schema.$id);
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$id') continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, toOpenApi(v, components)]));
    } else if (key === 'patternProperties') {
      // TypeBox writes records as patternProperties {"^(.*)$": V}; OpenAPI 3.0 says additionalProperties: V.
      const [first] = Object.values(value as Json);
      if (first) out.additionalProperties = toOpenApi(first, components);
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = toOpenApi(value, components);
    } else if (key === 'anyOf') {
      const branches = value as Json[];
      if (branches.every((b) => 'const' in b && typeof b.const === 'string')) {
        out.type = 'string';
        out.enum = branches.map((b) => b.const);
      } else {
        out.anyOf = branches.map((b) => toOpenApi(b, components));
      }
    } else if (key === 'const') {
      out.enum = [value];
    } else if (key === 'exclusiveMinimum' && typeof value === 'number') {
      out.minimum = value;
      out.exclusiveMinimum = true;
    } else if (key === 'exclusiveMaximum' && typeof value === 'number') {
      out.maximum = value;
      out.exclusiveMaximum = true;
    } else {
      out[key] = value;
    }
  }
  return out;
}

const STATUS_SCHEMA: Json = {
  type: 'object',
  description: 'A Kubernetes Status: every error response.',
  properties: {
    kind: { type: 'string', enum: ['Status'] },
    apiVersion: { type: 'string', enum: ['v1'] },
    metadata: { type: 'object' },
    status: { type: 'string', enum: ['Failure', 'Success'] },
    message: { type: 'string' },
    reason: { type: 'string' },
    code: { type: 'integer' },
    details: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        kind: { type: 'string' },
        group: { type: 'string' },
        retryAfterSeconds: { type: 'integer' },
        causes: {
          type: 'array',
          items: {
            type: 'object',
            required: ['field', 'message', 'reason'],
            properties: { field: { type: 'string' }, message: { type: 'string' }, reason: { type: 'string' } },
          },
        },
      },
    },
  },
};

const LIST_META_SCHEMA: Json = {
  type: 'object',
  required: ['resourceVersion'],
  properties: { resourceVersion: { type: 'string' }, continue: { type: 'string' }, remainingItemCount: { type: 'integer' } },
};

function listSchema(info: KindInfo): Json {
  return {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'items'],
    properties: {
      apiVersion: { type: 'string', enum: [info.apiVersion] },
      kind: { type: 'string', enum: [`${info.kind}List`] },
      metadata: ref('ListMeta'),
      items: { type: 'array', items: ref(info.kind) },
    },
  };
}

const queryParam = (name: string, type: string, description: string): Json => ({ name, in: 'query', required: false, schema: { type }, description });
const LIST_PARAMS: Json[] = [
  queryParam('labelSelector', 'string', 'Only objects whose labels match, e.g. `team=nlp,tier!=batch`.'),
  queryParam('fieldSelector', 'string', 'Only objects whose fields match, e.g. `status.phase=Running`.'),
  queryParam('limit', 'integer', 'At most this many items; pass `continue` back for the next page.'),
  queryParam('continue', 'string', 'The token of the previous page.'),
  queryParam('watch', 'boolean', 'Stream newline-delimited {type, object} events (ADDED, MODIFIED, DELETED).'),
  queryParam('resourceVersion', 'string', 'With watch: resume after this resourceVersion.'),
];
const pathParam = (name: string): Json => ({ name, in: 'path', required: true, schema: { type: 'string' } });

const ERROR_RESPONSE = { description: 'An error (Kubernetes Status).', content: { 'application/json': { schema: ref('Status') } } };
const jsonBody = (schema: Json): Json => ({
  required: true,
  content: { 'application/json': { schema }, 'application/yaml': { schema } },
});
const PATCH_BODY: Json = {
  required: true,
  content: {
    'application/merge-patch+json': { schema: { type: 'object' } },
    'application/json-patch+json': {
      schema: {
        type: 'array',
        items: { type: 'object', required: ['op', 'path'], properties: { op: { type: 'string' }, path: { type: 'string' }, value: {}, from: { type: 'string' } } },
      },
    },
  },
};
const ok = (schema: Json, description = 'OK'): Json => ({ description, content: { 'application/json': { schema } } });

function operations(info: KindInfo): Record<string, Json> {
  const K = info.kind;
  const ns = info.namespaced ? 'Namespaced' : '';
  const tags = [info.group || 'core'];
  const nsParams = info.namespaced ? [pathParam('namespace')] : [];
  const itemParams = [...nsParams, pathParam('name')];
  const op = (operationId: string, summary: string, rest: Json): Json => ({ operationId, summary, tags, ...rest, responses: { ...rest.responses, default: ERROR_RESPONSE } });
  // Placeholders survive restPathFor's encoding, then become OpenAPI path templates.
  const path = (name?: string) => restPathFor(info, info.namespaced ? 'NAMESPACE_' : undefined, name)
    .replace('NAMESPACE_', '{namespace}').replace('NAME_', '{name}');
  const paths: Record<string, Json> = {};
  const listResponse = { '200': { description: 'OK', content: {
    'application/json': { schema: ref(`${K}List`) },
    'application/json;stream=watch': { schema: ref('WatchEvent') },
  } } };
  paths[path()] = {
    parameters: nsParams,
    get: op(`list${ns}${K}`, `List or watch ${info.plural}`, { parameters: LIST_PARAMS, responses: listResponse }),
    post: op(`create${ns}${K}`, `Create a ${K}`, { requestBody: jsonBody(ref(K)), responses: { '201': ok(ref(K), 'Created') } }),
  };
  paths[path('NAME_')] = {
    parameters: itemParams,
    get: op(`read${ns}${K}`, `Read a ${K}`, { responses: { '200': ok(ref(K)) } }),
    put: op(`replace${ns}${K}`, `Replace a ${K}`, { requestBody: jsonBody(ref(K)), responses: { '200': ok(ref(K)) } }),
    patch: op(`patch${ns}${K}`, `Patch a ${K}`, { requestBody: PATCH_BODY, responses: { '200': ok(ref(K)) } }),
    delete: op(`delete${ns}${K}`, `Delete a ${K}`, { responses: { '200': ok(ref(K)) } }),
  };
  if (info.hasStatus) {
    paths[`${path('NAME_')}/status`] = {
      parameters: itemParams,
      get: op(`read${ns}${K}Status`, `Read the status of a ${K}`, { responses: { '200': ok(ref(K)) } }),
      put: op(`replace${ns}${K}Status`, `Replace the status of a ${K}`, { requestBody: jsonBody(ref(K)), responses: { '200': ok(ref(K)) } }),
      patch: op(`patch${ns}${K}Status`, `Patch the status of a ${K}`, { requestBody: PATCH_BODY, responses: { '200': ok(ref(K)) } }),
    };
  }
  if (info.namespaced) {
    paths[restPathFor(info, undefined)] = {
      get: op(`list${K}ForAllNamespaces`, `List or watch ${info.plural} in every namespace`, { parameters: LIST_PARAMS, responses: listResponse }),
    };
  }
  return paths;
}

/** An OpenAPI 3.0 schema for one schema (with `$ref`s into `components`, which it fills). */
export function openApiSchema(schema: TSchema, components: Record<string, unknown>): Record<string, unknown> {
  return toOpenApi(schema as Json, components as Json);
}

/** The whole OpenAPI 3.0 document: every kind's schema, list schema and REST paths. */
export function openApiDocument(): Record<string, unknown> {
  const schemas: Json = {};
  for (const info of KINDS) {
    toOpenApi(KIND_SCHEMAS[info.kind] as Json, schemas);
    schemas[`${info.kind}List`] = listSchema(info);
  }
  toOpenApi(ScenarioSchema as Json, schemas);
  schemas.Status = STATUS_SCHEMA;
  schemas.ListMeta = LIST_META_SCHEMA;
  schemas.WatchEvent = {
    type: 'object',
    required: ['type', 'object'],
    properties: { type: { type: 'string', enum: ['ADDED', 'MODIFIED', 'DELETED', 'ERROR', 'BOOKMARK'] }, object: { type: 'object' } },
  };
  const paths: Json = {};
  for (const info of KINDS) Object.assign(paths, operations(info));
  return {
    openapi: '3.0.3',
    info: {
      title: 'Quartermaster API',
      version: 'v1alpha1',
      description: 'Kubernetes-style REST API of Quartermaster (qm): queues, scheduling, training, serving, cost.',
    },
    paths,
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
  };
}
