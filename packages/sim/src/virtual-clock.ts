/**
 * Virtual time for the simulator: a Clock whose now() is whatever the event loop last set.
 * Scenario t=0 is a fixed epoch, so RFC3339 strings in statuses are the same on every run.
 *
 * Example:
 * ```ts
 * const clock = new VirtualClock();
 * clock.advanceTo(clock.msAt(90));   // t = 90 s
 * clock.seconds() === 90; clock.rfc3339() === '2026-01-01T00:01:30Z';
 * ```
 */
import type { Clock } from '@qm/core';

/** Scenario t=0: 2026-01-01T00:00:00Z. */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);

export class VirtualClock implements Clock {
  private nowMs = SIM_EPOCH_MS;

  now(): number {
    return this.nowMs;
  }

  /** Moves time forward; never backwards (an event in the past is a bug in the loop). */
  advanceTo(epochMs: number): void {
    if (epochMs < this.nowMs) throw new Error(`virtual clock cannot go back from ${this.nowMs} to ${epochMs}`);
    this.nowMs = epochMs;
  }

  /** Seconds since scenario start. */
  seconds(): number {
    return secondsOf(this.nowMs);
  }

  /** The epoch ms of scenario second `seconds`. */
  msAt(seconds: number): number {
    return epochMsAt(seconds);
  }

  rfc3339(): string {
    return rfc3339(this.nowMs);
  }
}

/** Epoch ms of scenario second `seconds` (rounded to whole ms so event times compare exactly). */
export function epochMsAt(seconds: number): number {
  return SIM_EPOCH_MS + Math.round(seconds * 1000);
}

/** Scenario seconds of an epoch ms. */
export function secondsOf(epochMs: number): number {
  return (epochMs - SIM_EPOCH_MS) / 1000;
}

/** RFC3339 with milliseconds only when there are any (`2026-01-01T00:00:00Z`, `…00:00:00.250Z`). */
export function rfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.000Z$/, 'Z');
}

/** Epoch ms of an RFC3339 string, or undefined when absent or unreadable. */
export function parseRfc3339(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}
