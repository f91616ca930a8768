import { CliError, EXIT_USAGE } from '../errors.js';
import { renderTable } from '../table.js';
import type { CommandContext, CommandModule } from './context.js';
import { runSimulate } from './simulate.js';
import type { CostReportDocument, CostRow } from '@qm/api';

/** The server's showback endpoint (see docs/api-reference.md). */
export const COST_REPORT_PATH = '/apis/ml.quartermaster.dev/v1alpha1/costreport';
const GROUPINGS = ['namespace', 'queue', 'job', 'node'];
const FORMATS = ['table', 'json', 'csv'];

/** The CostReport document as the server (or the simulator) sends it; the shape lives in @qm/api. */
export type { CostReportDocument } from '@qm/api';

const COLUMNS: Array<[string, (r: CostRow) => string]> = [
  ['GPU-HOURS', (r) => hours(r.gpuHours)],
  ['CPU-HOURS', (r) => hours(r.cpuCoreHours)],
  ['MEM GIB-HOURS', (r) => hours(r.memoryGiBHours)],
  ['SPOT', (r) => money(r.spotUSD)],
  ['ON-DEMAND', (r) => money(r.onDemandUSD)],
  ['USD', (r) => money(r.usd)],
  ['IDLE SHARE', (r) => money(r.idleShareUSD)],
  ['TOTAL', (r) => money(r.totalUSD ?? r.usd + r.idleShareUSD)],
];

/**
 * `qm cost`: the table (or CSV) of a CostReport. Rows with GPU-hours on unpriced nodes say so
 * (`USD` then covers only the priced part), and the footer reconciles: charged + idle = nodes.
 *
 * Example: `formatCostTable(report)` → `NAMESPACE  GPU-HOURS  …\nteam-a  12.50  …`
 */
export function formatCostTable(report: CostReportDocument): string {
  // The serving column only when some row has it (jobs that serve requests).
  const columns = report.rows.some((r) => r.usdPer1kRequests !== undefined)
    ? [...COLUMNS, ['USD/1K REQ', (r: CostRow) => (r.usdPer1kRequests === undefined ? '-' : `$${r.usdPer1kRequests.toFixed(4)}`)] as [string, (r: CostRow) => string]]
    : COLUMNS;
  const headers = [report.spec.by.toUpperCase(), ...columns.map(([h]) => h)];
  const rows = report.rows.map((r) => [r.key + (r.unpricedGpuHours > 0 ? ' (unpriced: ' + hours(r.unpricedGpuHours) + ' GPU-h)' : ''), ...columns.map(([, f]) => f(r))]);
  const lines = [
    renderTable(headers, rows).trimEnd(),
    '',
    `Window: ${report.spec.start} → ${report.spec.end} (${report.spec.since})`,
    `Nodes ${money(report.totals.nodeUSD)} = charged ${money(report.totals.chargedUSD)} + idle ${money(report.totals.idleUSD)}`
      + (report.idle.unsharedUSD > 0 ? ` (${money(report.idle.unsharedUSD)} of idle not shared: no priced use)` : ''),
  ];
  for (const n of report.unpricedNodes) lines.push(`Unpriced: ${n.node}: ${n.reason}`);
  return `${lines.join('\n')}\n`;
}

/** CSV with a header line; numbers unrounded, keys quoted when they need it. */
export function formatCostCsv(report: CostReportDocument): string {
  const fields: Array<keyof CostRow> = ['key', 'gpuHours', 'cpuCoreHours', 'memoryGiBHours', 'spotUSD', 'onDemandUSD', 'usd', 'idleShareUSD', 'totalUSD', 'unpricedGpuHours'];
  if (report.rows.some((r) => r.usdPer1kRequests !== undefined)) fields.push('usdPer1kRequests');
  const cell = (v: unknown) => {
    const s = v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const header = [report.spec.by, ...fields.slice(1)].join(',');
  return `${[header, ...report.rows.map((r) => fields.map((f) => cell(r[f])).join(','))].join('\n')}\n`;
}

function money(x: number): string {
  return `$${(x ?? 0).toFixed(2)}`;
}

function hours(x: number): string {
  return (x ?? 0).toFixed(2);
}

export const costCommand: CommandModule = {
  name: 'cost',
  register(program, ctx) {
    program
      .command('cost')
      .description('Showback: GPU-, CPU- and memory-hours and USD (spot/on-demand, idle share) by namespace, queue, job or node')
      .option('--by <grouping>', 'namespace | queue | job | node', 'namespace')
      .option('--since <duration>', 'how far back (e.g. 24h, 7d)', '7d')
      .option('-n, --namespace <ns>', 'only rows of this namespace')
      .option('-o, --output <format>', 'table | json | csv', 'table')
      .option('--scenario <file>', 'showback of a simulated run (qm simulate) instead of the live platform: the whole run, same report')
      .addHelpText('after', '\nExamples:\n  qm cost\n  qm cost --by queue --since 24h\n  qm cost --by job -n team-a -o csv\n  qm cost --scenario examples/scenarios/borrow-then-reclaim.yaml --by queue')
      .action(async (opts: { by: string; since: string; namespace?: string; output: string; scenario?: string }) => {
        if (!GROUPINGS.includes(opts.by)) throw new CliError(`--by: must be one of ${GROUPINGS.join(', ')}; got ${JSON.stringify(opts.by)}`, EXIT_USAGE);
        if (!FORMATS.includes(opts.output)) throw new CliError(`-o: must be one of ${FORMATS.join(', ')}; got ${JSON.stringify(opts.output)}`, EXIT_USAGE);
        let report: CostReportDocument;
        if (opts.scenario !== undefined) {
          if (opts.namespace) throw new CliError('-n: not supported with --scenario (the report covers the whole simulated cluster)', EXIT_USAGE);
          // The simulator prints the same CostReport document the live endpoint serves.
          let out = '';
          const capture = { ...ctx, io: { ...ctx.io, stdout: { write: (chunk: string) => { out += chunk; return true; } } } } as CommandContext;
          const code = await runSimulate(capture, opts.scenario, { costBy: opts.by });
          if (code !== 0) {
            ctx.fail(code);
            return;
          }
          report = JSON.parse(out) as CostReportDocument;
        } else {
          report = await ctx.client().request<CostReportDocument>('GET', COST_REPORT_PATH, {
            query: { by: opts.by, since: opts.since, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
          });
        }
        if (opts.output === 'json') ctx.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else if (opts.output === 'csv') ctx.io.stdout.write(formatCostCsv(report));
        else ctx.io.stdout.write(formatCostTable(report));
      });
  },
};
