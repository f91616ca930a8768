/**
 * Turns an `nvidia-smi` product name into the short model label nodes carry in
 * `quartermaster.dev/gpu-model` (what queues and nodeSelectors match on).
 *
 * Example:
 * ```ts
 * normalizeGpuModel('NVIDIA A100-SXM4-80GB') === 'A100-80GB';
 * normalizeGpuModel('NVIDIA H100 80GB HBM3') === 'H100';
 * normalizeGpuModel('Tesla T4') === 'T4';
 * ```
 */
export function normalizeGpuModel(productName: string, memoryMiB?: number): string {
  const tokens = productName
    .split(/[\s\-_]+/)
    .filter((t) => t.length > 0 && !BRAND_TOKENS.has(t.toLowerCase()) && !FORM_FACTOR.test(t));
  const memoryTokens = tokens.filter((t) => MEMORY_TOKEN.test(t));
  const rest = tokens.filter((t) => !MEMORY_TOKEN.test(t));
  if (rest.length === 0) return 'unknown';
  const family = rest[0].toUpperCase();
  const parts = rest.map((t, i) => (i === 0 ? family : t.toUpperCase()));
  // Only families sold in several memory sizes keep the size in the label.
  if (MEMORY_VARIANTS.has(family) && parts.length === 1) {
    const memory = memoryTokens[0]?.toUpperCase() ?? memoryFromMiB(family, memoryMiB);
    if (memory) parts.push(memory);
  }
  return toLabelValue(parts.join('-'));
}

const BRAND_TOKENS = new Set(['nvidia', 'tesla', 'geforce', 'quadro']);
// Packaging and memory technology say nothing about what the GPU can run.
const FORM_FACTOR = /^(SXM\d*|PCIE|PCI[Ee]|HBM\d*[Ee]?|GDDR\d*X?)$/i;
const MEMORY_TOKEN = /^\d+GB$/i;
const MEMORY_VARIANTS = new Set(['A100', 'A800', 'V100', 'P100']);

function memoryFromMiB(family: string, memoryMiB: number | undefined): string | undefined {
  if (memoryMiB === undefined || memoryMiB <= 0) return undefined;
  const gib = memoryMiB / 1024;
  const sizes = family === 'V100' || family === 'P100' ? [12, 16, 32] : [40, 80];
  // nvidia-smi reports a little less than the marketing size (e.g. 81920 MiB, or 81559).
  const size = sizes.find((s) => gib <= s * 1.02) ?? sizes[sizes.length - 1];
  return `${size}GB`;
}

/** Kubernetes label values: at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends. */
function toLabelValue(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-{2,}/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return cleaned || 'unknown';
}
