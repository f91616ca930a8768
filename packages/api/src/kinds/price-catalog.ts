/**
 * PriceCatalog (cluster-scoped): instance and GPU prices used for cost when a node has no pool price.
 *
 * Example:
 * ```yaml
 * apiVersion: ml.quartermaster.dev/v1alpha1
 * kind: PriceCatalog
 * metadata: {name: aws}
 * spec:
 *   instances: [{name: p4d.24xlarge, gpuModel: A100-40GB, gpus: 8, cpu: 96, memory: 1152Gi, onDemandPerHour: 32.77, spotPerHour: 11.6}]
 *   gpuHour: {A100-80GB: 4.1, H100: 6.9}
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, NonNegativeInteger, NonNegativeNumber, NonNegativeQuantity, Open } from './helpers.js';
import { QM_API, envelope } from './common.js';

export const InstancePriceSchema = Closed({
  name: Type.String({ minLength: 1 }),
  gpuModel: Type.Optional(Type.String({ minLength: 1 })),
  gpus: Type.Optional(NonNegativeInteger()),
  cpu: Type.Optional(NonNegativeQuantity),
  memory: Type.Optional(NonNegativeQuantity),
  /** USD per instance-hour. */
  onDemandPerHour: Type.Optional(NonNegativeNumber()),
  spotPerHour: Type.Optional(NonNegativeNumber()),
}, { $id: 'InstancePrice' });
export type InstancePrice = Static<typeof InstancePriceSchema>;

export const PriceCatalogSpecSchema = Closed({
  instances: Type.Optional(Type.Array(InstancePriceSchema)),
  /** GPU model → USD per GPU-hour. */
  gpuHour: Type.Optional(Type.Record(Type.String(), NonNegativeNumber())),
}, { $id: 'PriceCatalogSpec' });
export type PriceCatalogSpec = Static<typeof PriceCatalogSpecSchema>;

export const PriceCatalogSchema = Type.Object({
  ...envelope(QM_API, 'PriceCatalog', 'dns1123-label'),
  spec: PriceCatalogSpecSchema,
  status: Type.Optional(Open({})),
}, { $id: 'PriceCatalog', additionalProperties: false });
export type PriceCatalog = Static<typeof PriceCatalogSchema>;
