import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCostCsv, formatCostTable, type CostReportDocument } from './cost.js';

const report: CostReportDocument = {
  apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'CostReport', metadata: { creationTimestamp: '2024-06-08T00:00:00Z' },
  spec: { by: 'namespace', since: '7d', start: '2024-06-01T00:00:00Z', end: '2024-06-08T00:00:00Z' },
  rows: [
    { key: 'team-a', gpuHours: 12.5, cpuCoreHours: 40, memoryGiBHours: 320, usd: 60, spotUSD: 10, onDemandUSD: 50, idleShareUSD: 6, unpricedGpuHours: 0, totalUSD: 66 },
    { key: 'team,b', gpuHours: 2, cpuCoreHours: 0, memoryGiBHours: 0, usd: 0, spotUSD: 0, onDemandUSD: 0, idleShareUSD: 0, unpricedGpuHours: 2, totalUSD: 0 },
  ],
  idle: { usd: 6, gpuHours: 3, cpuCoreHours: 0, memoryGiBHours: 0, unsharedUSD: 0 },
  totals: {
    nodeUSD: 66, chargedUSD: 60, idleUSD: 6, differenceUSD: 0, goneNodeUSD: 0, gpuHours: 14.5, cpuCoreHours: 40, memoryGiBHours: 320,
    spotUSD: 10, onDemandUSD: 50, unpricedGpuHours: 2,
  },
  unpricedNodes: [{ node: 'cpu-1', reason: 'unpriced: no NodePool; no instance type; no GPU model' }],
};

test('qm cost table: a row per key, unpriced GPU-hours flagged, the reconciliation and unpriced nodes under it', () => {
  const lines = formatCostTable(report).split('\n');
  assert.match(lines[0], /^NAMESPACE\s+GPU-HOURS\s+CPU-HOURS\s+MEM GIB-HOURS\s+SPOT\s+ON-DEMAND\s+USD\s+IDLE SHARE\s+TOTAL$/);
  assert.match(lines[1], /^team-a\s+12\.50\s+40\.00\s+320\.00\s+\$10\.00\s+\$50\.00\s+\$60\.00\s+\$6\.00\s+\$66\.00$/);
  assert.match(lines[2], /^team,b \(unpriced: 2\.00 GPU-h\)/);
  assert.ok(lines.includes('Nodes $66.00 = charged $60.00 + idle $6.00'));
  assert.ok(lines.includes('Unpriced: cpu-1: unpriced: no NodePool; no instance type; no GPU model'));
});

test('qm cost csv: header named by the grouping, keys quoted when needed', () => {
  const lines = formatCostCsv(report).trimEnd().split('\n');
  assert.equal(lines[0], 'namespace,gpuHours,cpuCoreHours,memoryGiBHours,spotUSD,onDemandUSD,usd,idleShareUSD,totalUSD,unpricedGpuHours');
  assert.equal(lines[1], 'team-a,12.5,40,320,10,50,60,6,66,0');
  assert.equal(lines[2], '"team,b",2,0,0,0,0,0,0,0,2');
});

test('qm cost --by job: a USD/1K REQ column only when a serving row has it, "-" for the others', () => {
  const byJob: CostReportDocument = {
    ...report,
    spec: { ...report.spec, by: 'job' },
    rows: [
      { ...report.rows[0], key: 'team-a/ModelDeployment/chat', usdPer1kRequests: 0.0425 },
      { ...report.rows[0], key: 'team-a/TrainingJob/bert' },
    ],
  };
  const lines = formatCostTable(byJob).split('\n');
  assert.match(lines[0], /\s+TOTAL\s+USD\/1K REQ$/);
  assert.match(lines[1], /^team-a\/ModelDeployment\/chat\s.*\$66\.00\s+\$0\.0425$/);
  assert.match(lines[2], /^team-a\/TrainingJob\/bert\s.*\$66\.00\s+-$/);
  const csv = formatCostCsv(byJob).trimEnd().split('\n');
  assert.match(csv[0], /,unpricedGpuHours,usdPer1kRequests$/);
  assert.match(csv[1], /,0\.0425$/);
  assert.match(csv[2], /,0,$/);
  assert.doesNotMatch(formatCostTable(report), /USD\/1K REQ/, 'no serving rows, no column');
});
