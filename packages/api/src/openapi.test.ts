import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, restPathFor } from './kind-registry.js';
import { openApiDocument } from './openapi.js';

const doc = openApiDocument() as any;

/** Every `$ref` in a JSON tree. */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

/** Every key used anywhere in the tree. */
function keys(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => keys(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      out.add(k);
      keys(v, out);
    }
  }
  return out;
}

describe('openApiDocument', () => {
  it('is OpenAPI 3.0 and JSON-serialisable', () => {
    assert.equal(doc.openapi, '3.0.3');
    assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc);
  });

  for (const info of KINDS) {
    it(`has ${info.kind}: schema, list schema and REST paths`, () => {
      const schema = doc.components.schemas[info.kind];
      assert.ok(schema, 'schema');
      assert.deepEqual(schema.properties.apiVersion.enum, [info.apiVersion]);
      assert.deepEqual(schema.properties.kind.enum, [info.kind]);
      assert.ok(doc.components.schemas[`${info.kind}List`]);
      const collection = restPathFor(info, info.namespaced ? 'NS' : undefined).replace('NS', '{namespace}');
      assert.ok(doc.paths[collection]?.get, `GET ${collection}`);
      assert.ok(doc.paths[collection]?.post, `POST ${collection}`);
      const item = `${collection}/{name}`;
      for (const verb of ['get', 'put', 'patch', 'delete']) assert.ok(doc.paths[item]?.[verb], `${verb} ${item}`);
      assert.equal(Boolean(doc.paths[`${item}/status`]), info.hasStatus, 'status subresource iff hasStatus');
      if (info.namespaced) assert.ok(doc.paths[restPathFor(info, undefined)]?.get, 'list across namespaces');
    });
  }

  it('operation ids are unique', () => {
    const ids: string[] = [];
    for (const p of Object.values(doc.paths) as any[]) {
      for (const op of Object.values(p)) if (op && typeof op === 'object' && 'operationId' in (op as any)) ids.push((op as any).operationId);
    }
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.includes('createNamespacedTrainingJob'));
    assert.ok(ids.includes('listQueue'));
    assert.ok(ids.includes('listTrainingJobForAllNamespaces'));
  });

  it('every $ref resolves', () => {
    for (const r of refs(doc)) {
      const name = r.replace('#/components/schemas/', '');
      assert.ok(doc.components.schemas[name], `unresolved ${r}`);
    }
  });

  it('uses only OpenAPI 3.0 keywords (no const, patternProperties, $id, numeric exclusiveMinimum)', () => {
    const used = keys(doc.components.schemas);
    for (const k of ['const', 'patternProperties', '$id', '$schema']) assert.ok(!used.has(k), k);
    assert.deepEqual(doc.components.schemas.QueueSpec.properties.weight, { type: 'number', minimum: 0, exclusiveMinimum: true });
  });

  it('shares common shapes through components and keeps our specs closed', () => {
    const spec = doc.components.schemas.TrainingJobSpec;
    assert.equal(spec.additionalProperties, false);
    assert.deepEqual(spec.properties.tolerations.items, { $ref: '#/components/schemas/Toleration' });
    assert.deepEqual(spec.properties.resources, { $ref: '#/components/schemas/ResourceList' });
    assert.equal(doc.components.schemas.ResourceList.type, 'object');
    assert.ok(doc.components.schemas.ResourceList.additionalProperties.anyOf);
    assert.deepEqual(doc.components.schemas.QueueSpec.properties.preemption.properties.reclaim, { type: 'string', enum: ['Never', 'Any'] });
    assert.ok(doc.components.schemas.Scenario, 'Scenario document schema');
  });
});
