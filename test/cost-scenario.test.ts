/**
 * The cost must-show: test/scenarios/cost-two-teams.yaml through the real `qm simulate`, checked
 * to the cent against a hand calculation written out here. Two teams share a priced cluster with
 * an on-demand pool ($20/h) and a spot pool ($8/h); team-b's sweep is preempted twice; team-b's
 * budget ($30/month) crosses 100 % forecast and 80 % actual and then refuses new team-b work.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runQm } from './support/qm-cli.js';

const SCENARIO = 'test/scenarios/cost-two-teams.yaml';
let dir: string;
const env = () => ({ cliEnv: () => ({ ...process.env, QM_HOME: join(dir, 'home') }) as Record<string, string> });
before(() => { dir = mkdtempSync(join(tmpdir(), 'qm-cost-scenario-')); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

// ── The hand calculation ────────────────────────────────────────────────────
// OpenCost's default host rates (docs/prices.md): on-demand $0.031611 per vCPU-hour and
// $0.004237 per GiB-hour; spot $0.006655 and $0.000892. Both nodes: 4 GPUs, 32 vCPU, 256 GiB.
const od = { cpu: 0.031611, mem: 0.004237 };
const spot = { cpu: 0.006655, mem: 0.000892 };
const odHost = 32 * od.cpu + 256 * od.mem;            // 1.011552 + 1.084672 = 2.096224 (< half of $20)
const spotHost = 32 * spot.cpu + 256 * spot.mem;      // 0.21296 + 0.228352 = 0.441312 (< half of $8)
const odGpuHour = (20 - odHost) / 4;                  // 4.475944
const spotGpuHour = (8 - spotHost) / 4;               // 1.889672
// Each worker holds 4 GPUs, 4 vCPU and 32 GiB.
const odPodHour = 4 * odGpuHour + 4 * od.cpu + 32 * od.mem;          // 18.165804
const spotPodHour = 4 * spotGpuHour + 4 * spot.cpu + 32 * spot.mem;  // 7.613852

const HAND = {
  'team-a/train-a': { usd: 4 * odPodHour, onDemand: 4 * odPodHour, spot: 0 },            // 0–14400 on od-1
  'team-a/eval': { usd: 0.5 * odPodHour, onDemand: 0.5 * odPodHour, spot: 0 },           // 18000–19800
  // 0–4200, 6000–9000, 10800–16200 on spot-1: 4200 + 3000 + 5400 = 12600 s = 3.5 h.
  'team-b/sweep': { usd: 3.5 * spotPodHour, onDemand: 0, spot: 3.5 * spotPodHour },
  'team-b/urgent-1': { usd: 0.5 * spotPodHour, onDemand: 0, spot: 0.5 * spotPodHour },    // 4200–6000
  'team-b/urgent-2': { usd: 0.5 * spotPodHour, onDemand: 0, spot: 0.5 * spotPodHour },    // 9000–10800
};
const NODE_USD = 6 * (20 + 8); // both nodes for the whole 6 h run

const cents = (x: number) => Math.round(x * 100);

test('qm simulate: per-job and per-team cost, spot/on-demand split, idle and node cost agree with the hand calculation to the cent', async () => {
  const run = await runQm(env(), ['simulate', SCENARIO, '-o', 'json']);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  const rows = new Map<string, any>(report.workloads.map((w: any) => [`${w.namespace}/${w.name}`, w]));
  for (const [key, want] of Object.entries(HAND)) {
    const w = rows.get(key);
    assert.ok(w, `${key} in the report`);
    assert.equal(cents(w.costUSD), cents(want.usd), `${key} costUSD ${w.costUSD} vs ${want.usd}`);
    assert.equal(cents(w.spotUSD), cents(want.spot), `${key} spotUSD`);
    assert.equal(cents(w.onDemandUSD), cents(want.onDemand), `${key} onDemandUSD`);
  }
  assert.equal(rows.has('team-b/late'), false, 'the blocked submission never ran');

  const team = (ns: string) => report.workloads.filter((w: any) => w.namespace === ns).reduce((s: number, w: any) => s + w.costUSD, 0);
  const teamA = HAND['team-a/train-a'].usd + HAND['team-a/eval'].usd;   // 4.5 h × 18.165804 = 81.746118
  const teamB = 4.5 * spotPodHour;                                       // 34.262334
  assert.equal(cents(team('team-a')), cents(teamA));
  assert.equal(cents(team('team-b')), cents(teamB));

  const m = report.metrics;
  assert.equal(cents(m.costUSD), cents(teamA + teamB));
  assert.equal(cents(m.nodeCostUSD), cents(NODE_USD));
  assert.equal(cents(m.idleCostUSD), cents(NODE_USD - teamA - teamB), 'idle = node cost − charged');
  assert.equal(cents(m.spotCostUSD), cents(teamB));
  assert.equal(cents(m.onDemandCostUSD), cents(teamA));
  assert.equal(m.preemptions, 2);
  const sweep = rows.get('team-b/sweep');
  assert.deepEqual([sweep.preemptions, sweep.lostWorkSeconds], [2, 600 + 1200]);
  // The 1800 s lost were on spot, at the sweep's rate then: 0.5 h × 7.613852.
  assert.equal(cents(sweep.lostUSD), cents(0.5 * spotPodHour));
  assert.equal(rows.get('team-a/train-a').lostUSD, 0, 'never preempted, nothing lost');
});

test('qm cost over the same simulated run agrees with qm simulate and with the hand calculation to the cent', async () => {
  const teamA = 4.5 * odPodHour;
  const teamB = 4.5 * spotPodHour;
  const [costRun, simRun] = await Promise.all([
    runQm(env(), ['cost', '--scenario', SCENARIO, '--by', 'namespace', '-o', 'json']),
    runQm(env(), ['simulate', SCENARIO, '-o', 'json']),
  ]);
  assert.equal(costRun.code, 0, costRun.stderr);
  assert.equal(simRun.code, 0, simRun.stderr);
  const cost = JSON.parse(costRun.stdout);
  const sim = JSON.parse(simRun.stdout);
  const row = (key: string) => cost.rows.find((r: any) => r.key === key);
  assert.equal(cents(row('team-a').usd), cents(teamA), 'team-a USD = 4.5 h × the on-demand pod rate');
  assert.equal(cents(row('team-b').usd), cents(teamB), 'team-b USD = 4.5 h × the spot pod rate');
  assert.equal(cents(row('team-a').onDemandUSD), cents(teamA));
  assert.equal(cents(row('team-b').spotUSD), cents(teamB));
  assert.equal(cents(cost.totals.nodeUSD), cents(NODE_USD));
  assert.equal(cents(cost.idle.usd), cents(NODE_USD - teamA - teamB));
  // The two commands read one run through one report: they agree with each other to the cent too.
  assert.equal(cents(cost.totals.nodeUSD), cents(sim.metrics.nodeCostUSD));
  assert.equal(cents(cost.idle.usd), cents(sim.metrics.idleCostUSD));
  assert.equal(cents(row('team-a').usd + row('team-b').usd), cents(sim.metrics.costUSD));
  // Idle shared back in proportion to use: each team's total adds up to the node cost.
  assert.equal(cents(row('team-a').totalUSD + row('team-b').totalUSD), cents(NODE_USD));

  const table = await runQm(env(), ['cost', '--scenario', SCENARIO, '--by', 'queue']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /Nodes \$168\.00 = charged \$116\.01 \+ idle \$51\.99/);
});

test('qm simulate: the budget fires 100 % forecast at 10800 and 80 % actual when spend reaches $24, once each, then blocks team-b only', async () => {
  const run = await runQm(env(), ['simulate', SCENARIO, '-o', 'json']);
  assert.equal(run.code, 0, run.stderr);
  const events: Array<{ t: number; reason: string; object: string; message: string }> = JSON.parse(run.stdout).events;
  const budget = events.filter((e) => e.object === 'team-b/team-b-monthly');
  // At 10800 sweep resumes with 5400 s left: forecast = 3 h × 7.613852 spent + 1.5 h × 7.613852 = 34.26 ≥ $30.
  // 80 % actual = $24: team-b spends 7.613852 $/h without a break, so t = 24 / 7.613852 h.
  const t80 = (24 / spotPodHour) * 3600;
  assert.deepEqual(budget.map((e) => e.reason), ['BudgetForecastThresholdReached', 'BudgetThresholdReached']);
  assert.equal(budget[0].t, 10800);
  assert.match(budget[0].message, /forecast \$34\.26/);
  assert.ok(Math.abs(budget[1].t - t80) < 0.002, `80 % at ${budget[1].t}, hand ${t80}`);
  const blocked = events.filter((e) => e.reason === 'BudgetBlocked');
  assert.deepEqual(blocked.map((e) => [e.t, e.object]), [[18000, 'team-b/late']]);
  assert.match(blocked[0].message, /budget team-b\/team-b-monthly blocks new workloads: spent \$34\.26/);
});
