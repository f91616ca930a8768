import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Paths relative to this package's compiled files (packages/cli/dist/). `qm up` runs the
 * server as a separate process from these paths instead of importing it, which keeps the
 * CLI's import graph HTTP-only.
 */

/** `<repo>/packages/server/dist/main.js` */
export function serverMainPath(): string {
  return fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));
}

/** The repository root (`<repo>/`). */
export function repoRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}

/** The CLI's version, from packages/cli/package.json. */
export function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `<repo>/packages/sim/dist/main.js`: `qm simulate` runs the simulator as a child process (the CLI imports only @qm/api). */
export function simMainPath(): string {
  return fileURLToPath(new URL('../../sim/dist/main.js', import.meta.url));
}

/** `<repo>/packages/sim/dist/plan-main.js`: `qm plan` runs the planner offline as a child process. */
export function planMainPath(): string {
  return fileURLToPath(new URL('../../sim/dist/plan-main.js', import.meta.url));
}
