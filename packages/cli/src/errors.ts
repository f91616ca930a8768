import { isQmError, type QmError } from '@qm/api';

/**
 * A failure the CLI itself detected (bad usage, unreadable file, unreachable server),
 * carrying the process exit code it maps to.
 *
 * Example:
 * ```ts
 * throw new CliError('unknown kind "foo"', EXIT_USAGE);
 * ```
 */
export class CliError extends Error {
  readonly exitCode: number;
  /** Extra lines printed under the `error:` line (already indented by the caller's convention). */
  readonly detailLines: string[];

  constructor(message: string, exitCode: number, detailLines: string[] = []) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.detailLines = detailLines;
  }
}

/** Everything went well. */
export const EXIT_OK = 0;
/** A request failed: 404, 409, 401, 403, 5xx, or the server could not be reached. */
export const EXIT_FAILURE = 1;
/** Bad usage or bad input: unknown command/flag/kind, unreadable file, malformed YAML, 400/422 from the server. */
export const EXIT_USAGE = 2;
/** Interrupted by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** The exit code an error maps to: validation and usage problems are 2, every other failure 1. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (isQmError(err)) return err.code === 'Invalid' || err.code === 'BadRequest' ? EXIT_USAGE : EXIT_FAILURE;
  return EXIT_FAILURE;
}

/**
 * The lines that describe an error, without the `error: ` prefix on the first one:
 * the message, then one indented `field: message` line per validation cause.
 *
 * Example: `['TrainingJob.ml.quartermaster.dev "bert" is invalid', '  spec.workers: must be ≥ 1']`
 */
export function errorLines(err: unknown): string[] {
  if (err instanceof CliError) return [err.message, ...err.detailLines];
  if (isQmError(err)) return [headline(err), ...causeLines(err)];
  if (err instanceof Error) return [err.message];
  return [String(err)];
}

/**
 * The message without a trailing run-on list of the causes (servers often repeat them after
 * a colon); the causes follow one per line anyway.
 */
function headline(err: QmError): string {
  const first = err.details.causes?.[0];
  if (!first?.field) return err.message;
  const at = err.message.indexOf(`: ${first.field}`);
  return at > 0 ? err.message.slice(0, at) : err.message;
}

function causeLines(err: QmError): string[] {
  return (err.details.causes ?? []).map((c) => `  ${c.field ? `${c.field}: ` : ''}${c.message}`);
}
