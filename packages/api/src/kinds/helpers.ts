/**
 * Small TypeBox builders every kind schema uses, so the same idea is spelled the same way
 * everywhere: closed objects for our specs, string enums, quantities, resource lists,
 * int-or-percent values and the object envelope.
 *
 * Extra keywords read by `validateObject` (and kept, as `x-` extensions, in the OpenAPI document):
 * - `x-qm-quantity`: `'any'` or `'nonnegative'` — the value is a Kubernetes quantity.
 * - `x-qm-key-format`: a format every key of a map must have (e.g. `qualified-name`).
 * - `x-qm-expect`: how to describe the expected value in an error message.
 *
 * Example:
 * ```ts
 * const Spec = Closed({ weight: Type.Optional(Type.Number({ exclusiveMinimum: 0 })), max: Type.Optional(ResourceListSchema) });
 * ```
 */
import { Type, type Static, type SchemaOptions, type TLiteral, type TProperties, type TUnion, type ObjectOptions } from '@sinclair/typebox';

/** An object that rejects unknown fields (our kinds' specs, so typos are caught). */
export function Closed<T extends TProperties>(properties: T, options: ObjectOptions = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** An object that keeps unknown fields (Kubernetes kinds, statuses). */
export function Open<T extends TProperties>(properties: T, options: ObjectOptions = {}) {
  return Type.Object(properties, options);
}

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };

/** One of a fixed set of strings: `StringEnum(['Never', 'Any'])` has the static type `'Never' | 'Any'`. */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnion<Literals<T>> {
  return Type.Union(values.map((v) => Type.Literal(v)), options) as unknown as TUnion<Literals<T>>;
}

/** A Kubernetes quantity: a string like "500m" or "64Gi", or a JSON number. */
export const QuantityValue = Type.Union([Type.String({ format: 'quantity' }), Type.Number()], {
  $id: 'Quantity',
  'x-qm-quantity': 'any',
  'x-kubernetes-int-or-string': true,
  description: 'A Kubernetes quantity: "500m", "8", "64Gi", "1e3", or a number.',
});

/** A Kubernetes quantity that must not be negative (requests, capacities, prices of resources). */
export const NonNegativeQuantity = Type.Union([Type.String({ format: 'quantity' }), Type.Number()], {
  'x-qm-quantity': 'nonnegative',
  'x-kubernetes-int-or-string': true,
  description: 'A non-negative Kubernetes quantity.',
});

/** Resource name → quantity, e.g. `{cpu: "8", memory: "64Gi", "nvidia.com/gpu": 8}`. */
export const ResourceListSchema = Type.Record(Type.String(), NonNegativeQuantity, {
  $id: 'ResourceList',
  'x-qm-key-format': 'qualified-name',
  description: 'Resource name (cpu, memory, nvidia.com/gpu, nvidia.com/mig-<profile>, ephemeral-storage, pods) → quantity.',
});

/** A free string → string map (nodeSelector and the like). */
export const StringMap = Type.Record(Type.String(), Type.String());

/** Label key → label value, both checked with Kubernetes' rules. */
export const Labels = Type.Record(Type.String(), Type.String({ format: 'label-value' }), {
  'x-qm-key-format': 'qualified-name',
});

/** Annotation key → any string. */
export const Annotations = Type.Record(Type.String(), Type.String(), { 'x-qm-key-format': 'qualified-name' });

/** An integer, or a percentage string like "25%" (Kubernetes IntOrString). */
export const IntOrPercent = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ format: 'percent' })], {
  $id: 'IntOrPercent',
  'x-qm-expect': 'a non-negative integer or a percentage such as "25%"',
  'x-kubernetes-int-or-string': true,
});

/** A port number, or a named port (Kubernetes IntOrString). */
export const PortValue = Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.String({ minLength: 1 })], {
  'x-qm-expect': 'a port number from 1 to 65535 or a port name',
  'x-kubernetes-int-or-string': true,
});

/** An RFC 3339 timestamp written by the platform. */
export const Timestamp = Type.String({ description: 'RFC 3339 time, e.g. 2024-05-01T12:00:00Z' });

export const NonNegativeInteger = (options: SchemaOptions = {}) => Type.Integer({ minimum: 0, ...options });
export const NonNegativeNumber = (options: SchemaOptions = {}) => Type.Number({ minimum: 0, ...options });

/** Resource name → quantity. */
export type ResourceList = Static<typeof ResourceListSchema>;
/** A quantity as written in a manifest: "500m", "64Gi" or a number. */
export type QuantityInput = Static<typeof QuantityValue>;
/** An integer or a percentage string such as "25%". */
export type IntOrPercentValue = Static<typeof IntOrPercent>;
