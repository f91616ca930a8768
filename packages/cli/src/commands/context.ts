import type { Command } from 'commander';
import type { QmClient } from '../client.js';
import type { ResolvedConfig } from '../config.js';
import type { CliIo } from '../io.js';

/**
 * What every command gets: where to write, a lazily built HTTP client (so commands that
 * never talk to the server never read the config), and a way to record a failure.
 */
export interface CommandContext {
  io: CliIo;
  /** The resolved `--server`/`--token`/env/config.json values. */
  config(): ResolvedConfig;
  /** An HTTP client for the resolved server and token (optionally another server, as `qm up` does). */
  client(override?: { server: string; token?: string }): QmClient;
  /** Prints `error: <message>` (and validation causes, one per line) to stderr and records the exit code. */
  reportError(err: unknown, prefix?: string): void;
  /** Records an exit code; the run ends with the highest one recorded. */
  fail(exitCode: number): void;
}

/**
 * One top-level command (`apply`, `get`, …). Each lives in its own module under
 * `commands/` and is listed once in `commands/index.ts`.
 *
 * Example:
 * ```ts
 * export const versionCommand: CommandModule = {
 *   name: 'version',
 *   register(program, ctx) { program.command('version').action(async () => { … }); },
 * };
 * ```
 */
export interface CommandModule {
  name: string;
  register(program: Command, ctx: CommandContext): void;
}

/** `-n/--namespace` as the commands read it; `explicit` says the user typed it. */
export function namespaceOption(opts: { namespace?: string }): { value: string; explicit: boolean } {
  return opts.namespace ? { value: opts.namespace, explicit: true } : { value: 'default', explicit: false };
}

/** Commander collector for repeatable flags (`-f a -f b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
