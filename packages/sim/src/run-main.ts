/**
 * The body of the simulator's program, separate from main.ts so tests can run it in-process.
 *
 * Example:
 * ```ts
 * const code = await runMain(['s.yaml', '-o', 'json'], { stdout: process.stdout, stderr: process.stderr });
 * ```
 */
import { formatReportJson, formatReportTable } from './format-report.js';
import { parseMainArgs, USAGE } from './main-args.js';
import { ScenarioFileError } from './scenario-file.js';
import { simulateFile } from './simulate.js';

export const EXIT_CODES = { ok: 0, internal: 1, usage: 2 } as const;

export interface MainIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export async function runMain(argv: string[], io: MainIo): Promise<number> {
  const parsed = parseMainArgs(argv);
  if (!parsed.ok) {
    io.stderr.write(`error: ${parsed.message}\n${USAGE}`);
    return EXIT_CODES.usage;
  }
  if ('help' in parsed) {
    io.stdout.write(USAGE);
    return EXIT_CODES.ok;
  }
  const { file, output, untilSeconds, costBy } = parsed.args;
  try {
    const report = await simulateFile(file, { untilSeconds, ...(costBy ? { costReportBy: costBy } : {}) });
    if (costBy) io.stdout.write(`${JSON.stringify(report.costReport, null, 2)}\n`);
    else io.stdout.write(output === 'json' ? formatReportJson(report) : formatReportTable(report));
    return EXIT_CODES.ok;
  } catch (err) {
    if (err instanceof ScenarioFileError) {
      io.stderr.write(`${err.lines().join('\n')}\n`);
      return EXIT_CODES.usage;
    }
    io.stderr.write(`error: internal: simulating ${file} failed: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT_CODES.internal;
  }
}
