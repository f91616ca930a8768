/**
 * Phase 7b: estimated start times. Simulates forward from the end of this cycle: running
 * workloads end at their expected end times (status.expectedEndTime), in order; after each end
 * the pending workloads (the first `horizon` of each queue, in scheduling order) that now fit
 * are assumed at that time. Based only on expected ends — never on `now` — so an unchanged
 * cluster gets the same estimates every pass. Workloads that never fit get none.
 *
 * Example: `const estimates = estimateStarts(snap, candidates, 20_000); // Map id → epoch ms`
 */
import { placeGang } from './placer.js';
import type { Snapshot } from './snapshot.js';
import type { WorkloadInput } from './types.js';

/** Mutates `snap` (run it last). `maxAttempts` bounds the work. */
export function estimateStarts(snap: Snapshot, candidates: readonly WorkloadInput[], maxAttempts = 20_000): Map<string, number> {
  const out = new Map<string, number>();
  if (candidates.length === 0) return out;
  for (const n of snap.cluster.nodes) n.heldBy = undefined;
  const ends = [...snap.admitted.values()]
    .filter((e) => e.state.expectedEndMs !== undefined)
    .sort((a, b) => a.state.expectedEndMs! - b.state.expectedEndMs! || (a.w.id < b.w.id ? -1 : 1));
  let remaining = candidates.filter((w) => w.queue !== undefined);
  let attempts = 0;
  let i = 0;
  while (i < ends.length && remaining.length > 0 && attempts < maxAttempts) {
    const t = ends[i].state.expectedEndMs!;
    while (i < ends.length && ends[i].state.expectedEndMs === t) snap.forget(ends[i++].w.id);
    const failed = new Set<string>();
    const next: WorkloadInput[] = [];
    for (const w of remaining) {
      const shape = `${w.queue}|${w.namespace}|${w.constraintKey}|${w.pods}|${JSON.stringify(w.podRequest)}`;
      if (failed.has(shape) || attempts >= maxAttempts) {
        next.push(w);
        continue;
      }
      attempts++;
      let placed = false;
      if (snap.nsQuotas.check(w) === undefined) {
        for (const flavor of snap.flavorsOf(w.queue!)) {
          const tree = snap.trees.get(flavor)!;
          if (tree.check(w.queue!, snap.totalRequest(w)) !== undefined) continue;
          const r = placeGang(snap.cluster, snap.elig, w, { commit: true, flavorName: flavor || undefined, flavorSelector: flavor ? snap.flavorSelectors.get(flavor) : undefined });
          if (!('pods' in r)) continue;
          // Its own end is unknown: it keeps what it takes for the rest of the simulation.
          snap.assumePlaced(w, w.queue!, flavor, r.pods, t);
          placed = true;
          break;
        }
      }
      if (placed) out.set(w.id, Math.max(t, w.retryAfterMs ?? t));
      else {
        failed.add(shape);
        next.push(w);
      }
    }
    remaining = next;
  }
  return out;
}
