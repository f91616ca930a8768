/**
 * Phase 2: order. Inside a queue: priority (high first), then submission time, then
 * namespace/name. Between queues, the next workload comes from the queue whose head has the
 * highest priority, then the lowest weighted dominant share above its guarantee (fair share),
 * then the earliest submission. A small binary heap keeps picking the next queue cheap.
 *
 * Example: `pending.sort(compareWithinQueue)`.
 */
import { BinaryHeap } from './binary-heap.js';
import type { WorkloadInput } from './types.js';

export function compareWithinQueue(a: WorkloadInput, b: WorkloadInput): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.createdMs !== b.createdMs) return a.createdMs - b.createdMs;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface QueueHead {
  queue: string;
  items: WorkloadInput[];
  /** Why items[i] was not admitted, or null when it was (set as the cycle tries it). */
  reasons: Array<string | null | undefined>;
  cursor: number;
  share: number;
  /** How many admissions the cycle had made when `share` was computed (shares move only with them). */
  shareAt: number;
  /** Whether the queue's head was already tried this cycle (only the head may hold capacity). */
  tried: boolean;
}

/** Negative when `a`'s head goes first. */
export function compareHeads(a: QueueHead, b: QueueHead): number {
  const x = a.items[a.cursor];
  const y = b.items[b.cursor];
  if (x.priority !== y.priority) return y.priority - x.priority;
  if (a.share !== b.share) return a.share - b.share;
  return compareWithinQueue(x, y);
}

/** Queue heads, the next one to schedule first. */
export class HeadHeap extends BinaryHeap<QueueHead> {
  constructor() {
    super((a, b) => compareHeads(a, b) < 0);
  }
}
