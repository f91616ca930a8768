import { findKind, isQmError, parseDurationSeconds, restPathFor } from '@qm/api';
import type { ApiObject } from '@qm/api';
import { CliError, EXIT_USAGE } from '../errors.js';
import type { CommandContext, CommandModule } from './context.js';

const CONDITION = 'SpotInterruption';

interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  terminationTime?: string;
}

/**
 * The node's status with its SpotInterruption condition replaced: True with a terminationTime
 * `noticeSeconds` from `nowMs` (interrupt), or False (restore).
 *
 * Example: `withInterruption(node, { noticeSeconds: 120 }, Date.now())`
 */
export function withInterruption(node: ApiObject, change: { noticeSeconds: number } | 'restore', nowMs: number): ApiObject {
  const now = new Date(nowMs).toISOString();
  const others = ((node.status?.conditions ?? []) as NodeCondition[]).filter((c) => c.type !== CONDITION);
  const condition: NodeCondition = change === 'restore'
    ? { type: CONDITION, status: 'False', reason: 'Restored', message: 'restored by qm node restore; the node takes new work again', lastTransitionTime: now }
    : {
      type: CONDITION, status: 'True', reason: 'SpotInterruption', lastTransitionTime: now,
      terminationTime: new Date(nowMs + change.noticeSeconds * 1000).toISOString(),
      message: `spot interruption (simulated by qm node interrupt): the node goes away in ${change.noticeSeconds}s; workloads are notified and requeued`,
    };
  return { ...node, status: { ...node.status, conditions: [...others, condition] } };
}

async function updateCondition(ctx: CommandContext, name: string, change: { noticeSeconds: number } | 'restore'): Promise<ApiObject> {
  const info = findKind('Node')!;
  const client = ctx.client();
  // One retry on Conflict: the host keeps its own status fresh.
  for (let attempt = 0; ; attempt++) {
    const node = await client.get(info, undefined, name);
    try {
      return await client.request<ApiObject>('PUT', `${restPathFor(info, undefined, name)}/status`, { body: withInterruption(node, change, Date.now()) });
    } catch (err) {
      if (attempt > 0 || !isQmError(err, 'Conflict')) throw err;
    }
  }
}

function noticeSeconds(raw: string): number {
  try {
    return parseDurationSeconds(/^\d+$/.test(raw) ? Number(raw) : raw);
  } catch (err) {
    throw new CliError(`--notice: ${(err as Error).message} (e.g. 120s, 2m)`, EXIT_USAGE);
  }
}

export const nodeCommand: CommandModule = {
  name: 'node',
  register(program, ctx) {
    const node = program.command('node').description('Act on a node: simulate a spot interruption, restore it');
    node
      .command('interrupt')
      .description('Simulate a spot interruption: notice to every workload on the node, drain, no new work until restored')
      .argument('<node>', 'the Node name')
      .option('--notice <duration>', 'how long until the node goes away (e.g. 120s, 2m)', '120s')
      .addHelpText('after', '\nExamples:\n  qm node interrupt gpu-1 --notice 120s\n  qm node restore gpu-1')
      .action(async (name: string, opts: { notice: string }) => {
        const seconds = noticeSeconds(opts.notice);
        try {
          const updated = await updateCondition(ctx, name, { noticeSeconds: seconds });
          const at = ((updated.status?.conditions ?? []) as NodeCondition[]).find((c) => c.type === CONDITION)?.terminationTime;
          ctx.io.stdout.write(`node/${name} interrupted: workloads on it get the notice now and are requeued; `
            + `it goes away at ${at} and takes no new work until \`qm node restore ${name}\`\n`);
        } catch (err) {
          ctx.reportError(err);
        }
      });
    node
      .command('restore')
      .description('End a (simulated) spot interruption: the node takes new work again')
      .argument('<node>', 'the Node name')
      .action(async (name: string) => {
        try {
          await updateCondition(ctx, name, 'restore');
          ctx.io.stdout.write(`node/${name} restored: it takes new work again\n`);
        } catch (err) {
          ctx.reportError(err);
        }
      });
  },
};
