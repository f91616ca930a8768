/**
 * The prices metering and the planner read: the built-in catalog (./default-prices.ts) with
 * the operator's PriceCatalog objects laid over it (later catalogs win, field by field).
 *
 * `gpuHour` prices are ALL-IN per GPU-hour (a node of N such GPUs costs N × the price,
 * host CPU and memory included), which is how clouds quote a GPU-hour.
 *
 * Example:
 * ```ts
 * const book = buildPriceBook([{ gpuHour: { H100: 6.9 } }]);
 * gpuHourPrice(book, 'h100'); // { model: 'H100', onDemandPerHour: 6.9, spotPerHour: 2.76, spotIsEstimate: true, … }
 * ```
 */
import type { PriceCatalog, PriceCatalogSpec } from '@qm/api';
import { toAmount } from '../../resources/index.js';
import { DEFAULT_GPU_MODEL_REFERENCE, DEFAULT_HOST_RATES, DEFAULT_INSTANCE_PRICES, DEFAULT_SPOT_FRACTION } from './default-prices.js';

export interface InstanceRate {
  name: string;
  gpuModel?: string;
  gpus?: number;
  cpuCores?: number;
  memoryGiB?: number;
  onDemandPerHour?: number;
  spotPerHour?: number;
  /** True when `spotPerHour` is on-demand × the spot fraction rather than a listed price. */
  spotIsEstimate: boolean;
  source: string;
}

export interface GpuHourRate {
  model: string;
  onDemandPerHour: number;
  spotPerHour: number;
  spotIsEstimate: boolean;
  source: string;
}

export interface HostRates {
  cpuCoreHour: { onDemand: number; spot: number };
  memoryGiBHour: { onDemand: number; spot: number };
}

export interface PriceBook {
  instances: Record<string, InstanceRate>;
  /** Canonical GPU model → all-in price per GPU-hour. */
  gpuHour: Record<string, GpuHourRate>;
  host: HostRates;
  spotFraction: number;
}

export interface PriceBookOptions {
  /** Start from the built-in catalog (default true). */
  defaults?: boolean;
  /** Host CPU/memory rates used to split node prices (default: OpenCost's defaults). */
  host?: HostRates;
  /** Spot estimate as a fraction of on-demand where no spot price is listed (default 0.4). */
  spotFraction?: number;
}

/** Builds the price book from the defaults and the operator's catalogs (PriceCatalog objects or their specs). */
export function buildPriceBook(catalogs: ReadonlyArray<PriceCatalog | PriceCatalogSpec> = [], opts: PriceBookOptions = {}): PriceBook {
  const spotFraction = opts.spotFraction ?? DEFAULT_SPOT_FRACTION;
  const book: PriceBook = {
    instances: {},
    gpuHour: {},
    host: opts.host ?? { cpuCoreHour: { ...DEFAULT_HOST_RATES.cpuCoreHour }, memoryGiBHour: { ...DEFAULT_HOST_RATES.memoryGiBHour } },
    spotFraction,
  };
  if (opts.defaults !== false) addDefaults(book);
  for (const catalog of catalogs) {
    const isObject = 'spec' in catalog && typeof catalog.spec === 'object';
    const spec: PriceCatalogSpec = isObject ? (catalog as PriceCatalog).spec : catalog as PriceCatalogSpec;
    const label = isObject ? `PriceCatalog ${(catalog as PriceCatalog).metadata?.name ?? ''}`.trim() : 'PriceCatalog';
    addCatalog(book, spec, label);
  }
  return book;
}

/** The all-in price per GPU-hour of a model (case-insensitive, aliases allowed), or undefined. */
export function gpuHourPrice(book: PriceBook, model: string): GpuHourRate | undefined {
  const key = canonicalGpuModel(model, Object.keys(book.gpuHour));
  return key === undefined ? undefined : book.gpuHour[key];
}

const ALIASES: Record<string, string> = {
  V100: 'V100-16GB', 'H100-SXM': 'H100', 'H100-80GB': 'H100', 'H100-SXM5': 'H100', 'H200-141GB': 'H200',
  'A100-SXM4-80GB': 'A100-80GB', 'A100-SXM4-40GB': 'A100-40GB',
};

/**
 * The canonical spelling of a GPU model among `known` names: case-insensitive, with a few
 * aliases (`V100` → `V100-16GB`, `H100-SXM` → `H100`). Undefined when not known.
 */
export function canonicalGpuModel(model: string, known: readonly string[]): string | undefined {
  const wanted = model.trim().toUpperCase().replace(/[\s_]+/g, '-');
  const aliased = ALIASES[wanted] ?? wanted;
  return known.find((k) => k.toUpperCase() === aliased) ?? known.find((k) => k.toUpperCase() === wanted);
}

function addDefaults(book: PriceBook): void {
  for (const i of DEFAULT_INSTANCE_PRICES) {
    book.instances[i.name] = {
      name: i.name, gpuModel: i.gpuModel, gpus: i.gpus, cpuCores: i.cpu, memoryGiB: i.memoryGiB,
      onDemandPerHour: i.onDemandPerHour, spotPerHour: i.spotPerHour, spotIsEstimate: i.spotIsEstimate,
      source: `built-in list price (${i.provider} ${i.region}, ${i.asOf})`,
    };
  }
  for (const [model, instanceName] of Object.entries(DEFAULT_GPU_MODEL_REFERENCE)) {
    const i = book.instances[instanceName];
    book.gpuHour[model] = {
      model,
      onDemandPerHour: i.onDemandPerHour! / i.gpus!,
      spotPerHour: i.spotPerHour! / i.gpus!,
      spotIsEstimate: true,
      source: `built-in: ${instanceName} ÷ ${i.gpus} GPUs`,
    };
  }
}

function addCatalog(book: PriceBook, spec: PriceCatalogSpec, label: string): void {
  for (const i of spec.instances ?? []) {
    const prev = book.instances[i.name];
    const onDemand = i.onDemandPerHour ?? prev?.onDemandPerHour;
    const listedSpot = i.spotPerHour;
    book.instances[i.name] = {
      name: i.name,
      gpuModel: i.gpuModel ?? prev?.gpuModel,
      gpus: i.gpus ?? prev?.gpus,
      cpuCores: i.cpu !== undefined ? toAmount('cpu', i.cpu, `spec.instances[${i.name}].cpu`) / 1000 : prev?.cpuCores,
      memoryGiB: i.memory !== undefined ? toAmount('memory', i.memory, `spec.instances[${i.name}].memory`) / 2 ** 30 : prev?.memoryGiB,
      onDemandPerHour: onDemand,
      spotPerHour: listedSpot ?? (onDemand !== undefined ? onDemand * book.spotFraction : undefined),
      spotIsEstimate: listedSpot === undefined,
      source: label,
    };
  }
  for (const [rawModel, price] of Object.entries(spec.gpuHour ?? {})) {
    const model = canonicalGpuModel(rawModel, Object.keys(book.gpuHour)) ?? rawModel;
    // A spot price per GPU comes from an operator instance of that model listing both prices.
    const listed = (spec.instances ?? []).find((i) => i.gpuModel !== undefined
      && canonicalGpuModel(i.gpuModel, [model]) !== undefined && i.onDemandPerHour && i.spotPerHour !== undefined);
    const ratio = listed ? listed.spotPerHour! / listed.onDemandPerHour! : book.spotFraction;
    book.gpuHour[model] = {
      model,
      onDemandPerHour: price,
      spotPerHour: price * ratio,
      spotIsEstimate: !listed,
      source: `${label} gpuHour`,
    };
  }
}
