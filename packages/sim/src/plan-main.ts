#!/usr/bin/env node
/**
 * The planner as a program (what `qm plan` runs as a child process, offline):
 *   node packages/sim/dist/plan-main.js training --params 7e9 --tokens 2e12 --gpu A100-80GB --gpus 32 [--mfu 0.4] [--spot] [-o json]
 *   node packages/sim/dist/plan-main.js serving --peak-qps 1000 --latency-ms 50 [--concurrency 1] [--target-utilization 0.75] [-o json]
 * Exit 0: the plan is on stdout. Exit 2: bad input, one `error: --flag: what is wrong` line per
 * problem on stderr. Exit 1: an internal failure.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { isQmError, validateObject, type PriceCatalog } from '@qm/api';
import { buildPriceBook, planServing, planTraining, type ActivationCheckpointing, type PriceBook, type ServingPlanInput, type TrainingPlanInput } from '@qm/core';
import { formatServingReport, formatTrainingReport, servingJson, toJsonText, trainingJson } from './plan-format.js';

export const PLAN_EXIT = { ok: 0, internal: 1, usage: 2 } as const;

export interface PlanIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export const PLAN_USAGE = `usage: qm plan training --params N --tokens T --gpu MODEL --gpus G [options]
       qm plan serving --peak-qps Q --latency-ms MS [options]

training options:
  --mfu F                       model FLOPs utilization, 0–1 (default 0.4)
  --spot                        headline the spot scenario (both are always shown)
  --seq-len S --hidden H --layers L [--heads A]
                                model shape: adds attention FLOPs and activation memory
  --micro-batch B|max           sequences per GPU per step, or the largest that fits
  --activation-checkpointing none|selective|full   (default selective)
  --budget-usd USD              say whether the estimate fits this budget
  --checkpoint-interval-minutes M (default 30)   --restart-minutes M (default 10)
  --spot-interruptions-per-node-month R (default 0.2)   --gpus-per-node G (default 8)
serving options:
  --concurrency C               requests one replica serves at once (default 1)
  --target-utilization F        plan replicas at this share of their capacity (default 0.75)
  --off-peak-qps Q              (default 25 % of peak)   --peak-hours-per-day H (default 8)
  --gpu MODEL (default L4)      --gpus-per-replica G (default 1)   --min-replicas R (default 1)
  --replica-qps Q               measured QPS one replica sustains at the latency target
  --spot                        price replicas at spot rates
both:
  --prices FILE                 a PriceCatalog YAML overriding the built-in list prices
  -o, --output table|json       (default table)
Numbers take k, M, B, T suffixes: --params 7B --tokens 2T.
`;

const STRING_FLAGS = [
  'params', 'tokens', 'gpu', 'gpus', 'mfu', 'seq-len', 'hidden', 'layers', 'heads', 'micro-batch', 'activation-checkpointing',
  'budget-usd', 'checkpoint-interval-minutes', 'restart-minutes', 'spot-interruptions-per-node-month', 'gpus-per-node',
  'peak-qps', 'latency-ms', 'concurrency', 'target-utilization', 'off-peak-qps', 'peak-hours-per-day', 'gpus-per-replica',
  'min-replicas', 'replica-qps', 'prices',
] as const;
const TRAINING_ONLY = ['params', 'tokens', 'gpus', 'mfu', 'seq-len', 'hidden', 'layers', 'heads', 'micro-batch', 'activation-checkpointing', 'budget-usd', 'checkpoint-interval-minutes', 'restart-minutes', 'spot-interruptions-per-node-month', 'gpus-per-node'];
const SERVING_ONLY = ['peak-qps', 'latency-ms', 'concurrency', 'target-utilization', 'off-peak-qps', 'peak-hours-per-day', 'gpus-per-replica', 'min-replicas', 'replica-qps'];

/** A usage problem: exit 2 with these lines. */
class UsageError extends Error {}

export async function runPlanMain(argv: string[], io: PlanIo): Promise<number> {
  try {
    const parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: 'string' as const }])),
        spot: { type: 'boolean' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' },
      },
    });
    const values = parsed.values as Record<string, string | boolean | undefined>;
    if (values.help) {
      io.stdout.write(PLAN_USAGE);
      return PLAN_EXIT.ok;
    }
    const [what, ...extra] = parsed.positionals;
    if (what !== 'training' && what !== 'serving') throw new UsageError(what === undefined ? 'say what to plan: training or serving' : `unknown plan "${what}": say training or serving`);
    if (extra.length > 0) throw new UsageError(`unexpected argument ${extra.join(' ')}`);
    const output = (values.output as string | undefined) ?? 'table';
    if (output !== 'table' && output !== 'json') throw new UsageError(`-o must be table or json, got "${output}"`);
    const misplaced = (what === 'training' ? SERVING_ONLY : TRAINING_ONLY).filter((f) => values[f] !== undefined);
    if (misplaced.length > 0) throw new UsageError(`${misplaced.map((f) => `--${f}`).join(', ')} ${misplaced.length === 1 ? 'is' : 'are'} not a ${what} option`);
    const prices = typeof values.prices === 'string' ? loadPrices(values.prices) : undefined;
    const str = (f: string) => values[f] as string | undefined;
    if (what === 'training') {
      const input = trainingInput(str, values.spot === true, prices);
      const plan = planTraining(input);
      io.stdout.write(output === 'json' ? toJsonText(trainingJson(plan, input)) : formatTrainingReport(plan, input));
    } else {
      const input = servingInput(str, values.spot === true, prices);
      const plan = planServing(input);
      io.stdout.write(output === 'json' ? toJsonText(servingJson(plan, input)) : formatServingReport(plan, input));
    }
    return PLAN_EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`error: ${err.message}\n(run qm plan --help for usage)\n`);
      return PLAN_EXIT.usage;
    }
    if (isQmError(err, 'Invalid')) {
      const causes = err.details.causes ?? [];
      const lines = causes.length > 0 ? causes.map((c) => `error: ${flagOf(c.field)}: ${c.message}`) : [`error: ${err.message}`];
      io.stderr.write(`${lines.join('\n')}\n`);
      return PLAN_EXIT.usage;
    }
    if ((err as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`error: ${(err as Error).message.split('\n')[0]}\n(run qm plan --help for usage)\n`);
      return PLAN_EXIT.usage;
    }
    io.stderr.write(`error: internal: ${(err as Error)?.stack ?? String(err)}\n`);
    return PLAN_EXIT.internal;
  }
}

function trainingInput(str: (f: string) => string | undefined, spot: boolean, prices?: PriceBook): TrainingPlanInput {
  requireFlags(str, ['params', 'tokens', 'gpu', 'gpus']);
  const opt = (f: string) => (str(f) !== undefined ? number(f, str(f)!) : undefined);
  const shapeFlags = ['seq-len', 'hidden', 'layers'];
  const given = shapeFlags.filter((f) => str(f) !== undefined);
  if (given.length > 0 && given.length < 3) throw new UsageError(`the model shape needs all of --seq-len, --hidden and --layers (missing ${shapeFlags.filter((f) => !given.includes(f)).map((f) => `--${f}`).join(', ')})`);
  const mode = str('activation-checkpointing');
  if (mode !== undefined && !['none', 'selective', 'full'].includes(mode)) throw new UsageError(`--activation-checkpointing must be none, selective or full, got "${mode}"`);
  const micro = str('micro-batch');
  const overheads = {
    ...(opt('checkpoint-interval-minutes') !== undefined ? { checkpointIntervalMinutes: opt('checkpoint-interval-minutes') } : {}),
    ...(opt('restart-minutes') !== undefined ? { restartMinutes: opt('restart-minutes') } : {}),
    ...(opt('spot-interruptions-per-node-month') !== undefined ? { spotInterruptionsPerNodeMonth: opt('spot-interruptions-per-node-month') } : {}),
    ...(opt('gpus-per-node') !== undefined ? { gpusPerNode: opt('gpus-per-node') } : {}),
  };
  for (const [flag, value] of Object.entries({ 'checkpoint-interval-minutes': overheads.checkpointIntervalMinutes, 'gpus-per-node': overheads.gpusPerNode })) {
    if (value !== undefined && !(value > 0)) throw new UsageError(`--${flag} must be > 0, got ${value}`);
  }
  return {
    params: number('params', str('params')!), tokens: number('tokens', str('tokens')!), gpu: str('gpu')!, gpus: number('gpus', str('gpus')!),
    ...(opt('mfu') !== undefined ? { mfu: opt('mfu') } : {}), spot,
    ...(given.length === 3 ? { shape: { seqLen: opt('seq-len')!, hidden: opt('hidden')!, layers: opt('layers')!, ...(opt('heads') !== undefined ? { heads: opt('heads') } : {}) } } : {}),
    ...(mode !== undefined ? { activationCheckpointing: mode as ActivationCheckpointing } : {}),
    ...(micro === 'max' ? { findMaxMicroBatch: true } : micro !== undefined ? { microBatch: number('micro-batch', micro) } : {}),
    ...(opt('budget-usd') !== undefined ? { budgetUSD: opt('budget-usd') } : {}),
    overheads, ...(prices ? { prices } : {}),
  };
}

function servingInput(str: (f: string) => string | undefined, spot: boolean, prices?: PriceBook): ServingPlanInput {
  requireFlags(str, ['peak-qps', 'latency-ms']);
  const opt = (f: string) => (str(f) !== undefined ? number(f, str(f)!) : undefined);
  const fields: Array<[string, keyof ServingPlanInput]> = [
    ['concurrency', 'concurrency'], ['target-utilization', 'targetUtilization'], ['off-peak-qps', 'offPeakQps'], ['peak-hours-per-day', 'peakHoursPerDay'],
    ['gpus-per-replica', 'gpusPerReplica'], ['min-replicas', 'minReplicas'], ['replica-qps', 'replicaQps'],
  ];
  const input: ServingPlanInput = { peakQps: number('peak-qps', str('peak-qps')!), latencyMs: number('latency-ms', str('latency-ms')!), spot, ...(prices ? { prices } : {}) };
  for (const [flag, key] of fields) if (opt(flag) !== undefined) (input as unknown as Record<string, number>)[key] = opt(flag)!;
  if (str('gpu') !== undefined) input.gpu = str('gpu');
  return input;
}

function requireFlags(str: (f: string) => string | undefined, flags: string[]): void {
  const missing = flags.filter((f) => str(f) === undefined);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((f) => `--${f}`).join(', ')}`);
}

const SUFFIX: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, B: 1e9, G: 1e9, T: 1e12 };

/** `7e9`, `7B`, `2T`, `0.4`, `1,000` → numbers; anything else is a usage error naming the flag. */
export function number(flag: string, text: string): number {
  const m = /^([+-]?(?:\d[\d_,]*)?(?:\.\d+)?(?:e[+-]?\d+)?)([kKMBGT])?$/i.exec(text.trim());
  const value = m && m[1] !== '' ? Number(m[1].replace(/[_,]/g, '')) * (m[2] ? SUFFIX[m[2]] ?? SUFFIX[m[2].toUpperCase()] : 1) : NaN;
  if (!Number.isFinite(value)) throw new UsageError(`--${flag}: expected a number such as 7e9, 7B or 0.4, got "${text}"`);
  return value;
}

/** `peakQps` → `--peak-qps`, `budgetUSD` → `--budget-usd`. */
function flagOf(field: string): string {
  return `--${field.replace(/([a-z0-9])([A-Z]+)/g, '$1-$2').toLowerCase()}`;
}

function loadPrices(file: string): PriceBook {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--prices: cannot read ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const result = validateObject(doc);
  if (!result.ok) throw new UsageError(`--prices: ${file} is not a valid object:\n${result.causes.map((c) => `  ${c.field}: ${c.message}`).join('\n')}`);
  if (result.object.kind !== 'PriceCatalog') throw new UsageError(`--prices: ${file} holds a ${result.object.kind}, not a PriceCatalog`);
  return buildPriceBook([result.object as PriceCatalog]);
}

// Run when executed directly (not when imported by a test).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runPlanMain(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`error: internal: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = PLAN_EXIT.internal;
    },
  );
}
