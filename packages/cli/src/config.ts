import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT_USAGE } from './errors.js';

/** Where the server listens when nothing says otherwise (the server's own default port). */
export const DEFAULT_SERVER = 'http://127.0.0.1:7070';

export type ConfigSource = 'flag' | 'env' | 'file' | 'default' | 'none';

export interface ResolvedConfig {
  server: string;
  token: string | undefined;
  qmHome: string;
  configPath: string;
  /** Where each value came from, for `-v` and for error hints. */
  sources: { server: ConfigSource; token: ConfigSource };
}

export interface ConfigInputs {
  flags: { server?: string; token?: string };
  env: Record<string, string | undefined>;
  /** Reads a file as UTF-8; throws with code ENOENT when absent. Injected by tests. */
  readFile?: (path: string) => string;
  /** The user's home directory; injected by tests. */
  homeDir?: string;
}

/**
 * Finds the server URL and token: flags, then env `QM_SERVER`/`QM_TOKEN`, then
 * `$QM_HOME/config.json` (QM_HOME defaults to `~/.qm`), each value on its own.
 * The file is read only when a flag or variable leaves something unset.
 *
 * Example:
 * ```ts
 * resolveConfig({ flags: { token: 'x' }, env: { QM_SERVER: 'http://h:1' } });
 * // → { server: 'http://h:1', token: 'x', sources: { server: 'env', token: 'flag' }, ... }
 * ```
 */
export function resolveConfig(inputs: ConfigInputs): ResolvedConfig {
  const { flags, env } = inputs;
  const qmHome = nonEmpty(env.QM_HOME) ?? join(inputs.homeDir ?? homedir(), '.qm');
  const configPath = join(qmHome, 'config.json');

  let server = pick(flags.server, 'flag') ?? pick(env.QM_SERVER, 'env');
  let token = pick(flags.token, 'flag') ?? pick(env.QM_TOKEN, 'env');
  if (!server || !token) {
    const file = readConfigFile(configPath, inputs.readFile ?? ((p) => readFileSync(p, 'utf8')));
    server ??= pick(file.server, 'file');
    token ??= pick(file.token, 'file');
  }
  return {
    server: stripTrailingSlash(server?.value ?? DEFAULT_SERVER),
    token: token?.value,
    qmHome,
    configPath,
    sources: { server: server?.source ?? 'default', token: token?.source ?? 'none' },
  };
}

/** Reads `config.json`; absent is fine (empty), malformed is a usage error naming the file. */
export function readConfigFile(path: string, readFile: (path: string) => string): { server?: string; token?: string } {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`, EXIT_USAGE);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path} is not valid JSON: ${(err as Error).message}`, EXIT_USAGE);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`${path} must hold a JSON object like {"server": "http://127.0.0.1:7070", "token": "qm_…"}`, EXIT_USAGE);
  }
  const obj = parsed as Record<string, unknown>;
  return {
    server: typeof obj.server === 'string' ? obj.server : undefined,
    token: typeof obj.token === 'string' ? obj.token : undefined,
  };
}

function pick(value: string | undefined, source: ConfigSource): { value: string; source: ConfigSource } | undefined {
  const v = nonEmpty(value);
  return v === undefined ? undefined : { value: v, source };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
