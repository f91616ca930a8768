/**
 * The built-in price catalog: list prices of common cloud GPU instances and, derived from
 * them, an all-in price per GPU-hour for each GPU model. These are public on-demand LIST
 * prices as of `DEFAULT_PRICES_AS_OF`; they change (AWS cut P4/P5 prices in June 2025), so an
 * operator overrides them with a PriceCatalog object. docs/prices.md lists every entry with
 * its source page and date.
 *
 * Spot prices move hourly (AWS) or monthly (GCP, Azure) and cannot be listed honestly as a
 * constant: the built-in spot figure is an ESTIMATE, on-demand × DEFAULT_SPOT_FRACTION.
 *
 * Example:
 * ```ts
 * DEFAULT_INSTANCE_PRICES.find((i) => i.name === 'p4de.24xlarge')?.onDemandPerHour; // 40.9657
 * DEFAULT_GPU_MODEL_REFERENCE['A100-80GB']; // 'p4de.24xlarge' → 40.9657 / 8 = 5.12 USD per GPU-hour
 * ```
 */

/** The date the built-in list prices were read from the providers' pages. */
export const DEFAULT_PRICES_AS_OF = '2024-06';

/** Built-in spot estimate: spot ≈ 40 % of on-demand (a 60 % discount; providers advertise "up to 90 %"). */
export const DEFAULT_SPOT_FRACTION = 0.4;

/**
 * Host (non-GPU) rates used to split a node's price into GPU, CPU and memory parts: OpenCost's
 * default custom-pricing rates (USD per vCPU-hour and per GiB-hour, on-demand and spot).
 */
export const DEFAULT_HOST_RATES = {
  cpuCoreHour: { onDemand: 0.031611, spot: 0.006655 },
  memoryGiBHour: { onDemand: 0.004237, spot: 0.000892 },
  source: 'OpenCost default pricing (configs/default.json: CPU, RAM, spotCPU, spotRAM)',
} as const;

/** One instance type's list price. `memoryGiB` is the provider's figure (GCP quotes GB; taken as GiB). */
export interface DefaultInstancePrice {
  provider: 'aws' | 'gcp' | 'azure';
  region: string;
  name: string;
  gpuModel: string;
  gpus: number;
  cpu: number;
  memoryGiB: number;
  /** USD per instance-hour, on-demand list price. */
  onDemandPerHour: number;
  /** USD per instance-hour, spot: an estimate unless `spotIsEstimate` is false. */
  spotPerHour: number;
  spotIsEstimate: boolean;
  asOf: string;
  source: string;
}

const AWS = 'https://aws.amazon.com/ec2/pricing/on-demand/';
const GCP = 'https://cloud.google.com/compute/gpus-pricing';
const AZURE = 'https://azure.microsoft.com/pricing/details/virtual-machines/linux/';

type Row = [DefaultInstancePrice['provider'], string, string, string, number, number, number, number];

// provider, region, name, GPU model, GPUs, vCPUs, memory GiB, on-demand USD/h
const ROWS: Row[] = [
  ['aws', 'us-east-1', 'p4d.24xlarge', 'A100-40GB', 8, 96, 1152, 32.7726],
  ['aws', 'us-east-1', 'p4de.24xlarge', 'A100-80GB', 8, 96, 1152, 40.9657],
  ['aws', 'us-east-1', 'p5.48xlarge', 'H100', 8, 192, 2048, 98.32],
  ['aws', 'us-east-1', 'g5.xlarge', 'A10G', 1, 4, 16, 1.006],
  ['aws', 'us-east-1', 'g5.12xlarge', 'A10G', 4, 48, 192, 5.672],
  ['aws', 'us-east-1', 'g5.48xlarge', 'A10G', 8, 192, 768, 16.288],
  ['aws', 'us-east-1', 'g6.xlarge', 'L4', 1, 4, 16, 0.8048],
  ['aws', 'us-east-1', 'g6.48xlarge', 'L4', 8, 192, 768, 13.3504],
  ['aws', 'us-east-1', 'g4dn.xlarge', 'T4', 1, 4, 16, 0.526],
  ['aws', 'us-east-1', 'p3.2xlarge', 'V100-16GB', 1, 8, 61, 3.06],
  ['aws', 'us-east-1', 'p3.16xlarge', 'V100-16GB', 8, 64, 488, 24.48],
  ['aws', 'us-east-1', 'p3dn.24xlarge', 'V100-32GB', 8, 96, 768, 31.212],
  ['gcp', 'us-central1', 'a2-highgpu-1g', 'A100-40GB', 1, 12, 85, 3.673],
  ['gcp', 'us-central1', 'a2-highgpu-8g', 'A100-40GB', 8, 96, 680, 29.387],
  ['gcp', 'us-central1', 'a2-ultragpu-8g', 'A100-80GB', 8, 96, 1360, 40.55],
  ['gcp', 'us-central1', 'a3-highgpu-8g', 'H100', 8, 208, 1872, 88.49],
  ['gcp', 'us-central1', 'g2-standard-4', 'L4', 1, 4, 16, 0.7068],
  ['azure', 'eastus', 'Standard_ND96asr_v4', 'A100-40GB', 8, 96, 900, 27.197],
  ['azure', 'eastus', 'Standard_ND96amsr_A100_v4', 'A100-80GB', 8, 96, 1900, 32.77],
  ['azure', 'eastus', 'Standard_ND96isr_H100_v5', 'H100', 8, 96, 1900, 98.32],
  ['azure', 'eastus', 'Standard_ND96isr_H200_v5', 'H200', 8, 96, 1850, 84.8],
];

const SOURCES = { aws: AWS, gcp: GCP, azure: AZURE } as const;

/** Every built-in instance price (docs/prices.md has the same table). */
export const DEFAULT_INSTANCE_PRICES: readonly DefaultInstancePrice[] = ROWS.map(
  ([provider, region, name, gpuModel, gpus, cpu, memoryGiB, onDemandPerHour]) => ({
    provider, region, name, gpuModel, gpus, cpu, memoryGiB, onDemandPerHour,
    spotPerHour: round4(onDemandPerHour * DEFAULT_SPOT_FRACTION),
    spotIsEstimate: true,
    asOf: DEFAULT_PRICES_AS_OF,
    source: SOURCES[provider],
  }),
);

/**
 * The instance whose price, divided by its GPU count, is the built-in all-in price per GPU-hour
 * of each model (AWS where AWS sells the GPU; Azure for H200).
 */
export const DEFAULT_GPU_MODEL_REFERENCE: Readonly<Record<string, string>> = {
  'A100-40GB': 'p4d.24xlarge',
  'A100-80GB': 'p4de.24xlarge',
  H100: 'p5.48xlarge',
  H200: 'Standard_ND96isr_H200_v5',
  A10G: 'g5.xlarge',
  L4: 'g6.xlarge',
  T4: 'g4dn.xlarge',
  'V100-16GB': 'p3.2xlarge',
  'V100-32GB': 'p3dn.24xlarge',
};

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
