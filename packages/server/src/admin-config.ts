import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TokenStore } from '@qm/core';
import { SYSTEM_MASTERS, hashSecret, mintToken } from './auth.js';

/** The CLI's config file (`<qm-home>/config.json`); other keys the CLI keeps there are preserved. */
export interface CliConfig {
  server?: string;
  token?: string;
  [key: string]: unknown;
}

export interface AdminConfigResult {
  /** True when a new admin token was minted (first start, or the file's token is not valid here). */
  minted: boolean;
  /** The admin token the file now holds. */
  token: string;
  configPath: string;
}

/**
 * Makes `<qm-home>/config.json` point at this server with a working admin token. A token that
 * this data dir's TokenStore knows is kept (only `server` is refreshed); otherwise a new admin
 * token (user `admin`, group `system:masters`) is minted and written. The file is mode 0600
 * in a 0700 directory, written atomically.
 *
 * Example: `await ensureAdminConfig({ tokens: store, configPath: '/home/me/.qm/config.json', serverUrl, nowMs })`
 */
export async function ensureAdminConfig(opts: {
  tokens: TokenStore; configPath: string; serverUrl: string; nowMs: number;
  logger?: { info(o: object, m: string): void; warn(o: object, m: string): void };
}): Promise<AdminConfigResult> {
  const existing = await readConfig(opts.configPath, opts.logger);
  const token = typeof existing.token === 'string' ? existing.token : undefined;
  const valid = token !== undefined && (await opts.tokens.findTokenBySecretHash(hashSecret(token))) !== undefined;
  if (valid) {
    if (existing.server !== opts.serverUrl) await writeConfig(opts.configPath, { ...existing, server: opts.serverUrl });
    return { minted: false, token, configPath: opts.configPath };
  }
  const { secret, record } = mintToken('admin', [SYSTEM_MASTERS], { nowMs: opts.nowMs, description: 'admin token created at first start' });
  await opts.tokens.addToken(record);
  await writeConfig(opts.configPath, { ...existing, server: opts.serverUrl, token: secret });
  opts.logger?.warn({ configPath: opts.configPath, tokenId: record.id },
    token === undefined
      ? 'minted an admin token and wrote it to the CLI config'
      : 'the CLI config\'s token is not valid for this data dir; minted a new admin token and rewrote the config');
  return { minted: true, token: secret, configPath: opts.configPath };
}

async function readConfig(path: string, logger?: { warn(o: object, m: string): void }): Promise<CliConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as CliConfig;
  } catch {
    // fall through: an unreadable config is replaced, and we say so
  }
  logger?.warn({ path }, 'the CLI config is not a JSON object; replacing it');
  return {};
}

async function writeConfig(path: string, config: CliConfig): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
