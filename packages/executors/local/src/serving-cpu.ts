/**
 * Real cpu use of replica process groups, from /proc (Linux): the utime+stime of every live
 * process in the group plus what the leader collected from its reaped children. Elsewhere it
 * reports nothing (the HPA then treats cpu as a missing metric).
 *
 * Example:
 * ```ts
 * const meter = new GroupCpuMeter({ windowMs: 10_000 });
 * meter.sample([pgid], Date.now());           // every second or so
 * meter.millicores(pgid);                      // e.g. 430 (0.43 of a core over the window)
 * ```
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux USER_HZ; 100 on every mainstream kernel build. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Cpu seconds used so far by each of the given process groups (missing: no /proc or group gone). */
export function groupCpuSeconds(pgids: ReadonlySet<number>): Map<number, number> {
  const out = new Map<number, number>();
  if (pgids.size === 0) return out;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command (which may hold spaces and parens) start at state (field 3).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(f[2]);
    if (!pgids.has(pgrp)) continue;
    let ticks = Number(f[11]) + Number(f[12]);
    if (Number(entry) === pgrp) ticks += Number(f[13]) + Number(f[14]);
    out.set(pgrp, (out.get(pgrp) ?? 0) + ticks / CLOCK_TICKS_PER_SECOND);
  }
  return out;
}

/** Keeps recent (time, cpu seconds) samples per group and turns them into millicores over a window. */
export class GroupCpuMeter {
  private readonly samples = new Map<number, Array<{ atMs: number; cpuSeconds: number }>>();

  constructor(private readonly opts: { windowMs: number }) {}

  sample(pgids: Iterable<number>, nowMs: number): void {
    const wanted = new Set(pgids);
    for (const pgid of this.samples.keys()) if (!wanted.has(pgid)) this.samples.delete(pgid);
    const readings = groupCpuSeconds(wanted);
    for (const [pgid, cpuSeconds] of readings) {
      const list = this.samples.get(pgid) ?? [];
      list.push({ atMs: nowMs, cpuSeconds });
      while (list.length > 2 && nowMs - list[1].atMs >= this.opts.windowMs) list.shift();
      this.samples.set(pgid, list);
    }
  }

  /** Average millicores over the window; undefined until two samples exist. */
  millicores(pgid: number): number | undefined {
    const list = this.samples.get(pgid);
    if (!list || list.length < 2) return undefined;
    const first = list[0];
    const last = list[list.length - 1];
    const dtMs = last.atMs - first.atMs;
    if (dtMs <= 0) return undefined;
    return Math.max(0, ((last.cpuSeconds - first.cpuSeconds) * 1_000_000) / dtMs);
  }

  forget(pgid: number): void {
    this.samples.delete(pgid);
  }
}
