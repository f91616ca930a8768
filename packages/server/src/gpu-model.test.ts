import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeGpuModel } from './gpu-model.js';

// Product names as `nvidia-smi --query-gpu=name` prints them.
const cases: Array<{ name: string; product: string; memoryMiB?: number; want: string }> = [
  { name: 'A100 SXM 80GB', product: 'NVIDIA A100-SXM4-80GB', want: 'A100-80GB' },
  { name: 'A100 SXM 40GB', product: 'NVIDIA A100-SXM4-40GB', want: 'A100-40GB' },
  { name: 'A100 PCIe 40GB', product: 'NVIDIA A100-PCIE-40GB', want: 'A100-40GB' },
  { name: 'A100 80GB PCIe', product: 'NVIDIA A100 80GB PCIe', want: 'A100-80GB' },
  { name: 'A100 without size uses memory', product: 'NVIDIA A100', memoryMiB: 81920, want: 'A100-80GB' },
  { name: 'A100 40GB by memory', product: 'NVIDIA A100', memoryMiB: 40960, want: 'A100-40GB' },
  { name: 'H100 SXM', product: 'NVIDIA H100 80GB HBM3', want: 'H100' },
  { name: 'H100 PCIe', product: 'NVIDIA H100 PCIe', want: 'H100' },
  { name: 'H100 NVL', product: 'NVIDIA H100 NVL', want: 'H100-NVL' },
  { name: 'H200', product: 'NVIDIA H200', memoryMiB: 143771, want: 'H200' },
  { name: 'GH200', product: 'NVIDIA GH200 480GB', want: 'GH200' },
  { name: 'L4', product: 'NVIDIA L4', want: 'L4' },
  { name: 'L40S', product: 'NVIDIA L40S', want: 'L40S' },
  { name: 'A10G', product: 'NVIDIA A10G', want: 'A10G' },
  { name: 'T4', product: 'Tesla T4', want: 'T4' },
  { name: 'V100 SXM2 16GB', product: 'Tesla V100-SXM2-16GB', want: 'V100-16GB' },
  { name: 'V100 32GB', product: 'Tesla V100-SXM2-32GB', want: 'V100-32GB' },
  { name: 'GeForce RTX 4090', product: 'NVIDIA GeForce RTX 4090', want: 'RTX-4090' },
  { name: 'RTX A6000', product: 'NVIDIA RTX A6000', want: 'RTX-A6000' },
  { name: 'B200', product: 'NVIDIA B200', want: 'B200' },
  { name: 'odd characters become a valid label', product: 'NVIDIA Foo/Bar (rev 2)', want: 'FOO-BAR-REV-2' },
  { name: 'empty name', product: '', want: 'unknown' },
  { name: 'brand only', product: 'NVIDIA', want: 'unknown' },
];

for (const c of cases) {
  test(`normalizeGpuModel: ${c.name}`, () => {
    const got = normalizeGpuModel(c.product, c.memoryMiB);
    assert.equal(got, c.want);
    assert.match(got, /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/);
  });
}
