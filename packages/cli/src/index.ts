/**
 * The `qm` CLI as a library, for embedding and tests. It speaks only HTTP to the server.
 *
 * Example:
 * ```ts
 * import { runCli, bufferIo } from '@qm/cli';
 * const io = bufferIo({ env: { QM_SERVER: 'http://127.0.0.1:7070', QM_TOKEN: token } });
 * const code = await runCli(['get', 'nodes'], io);
 * ```
 */
export { runCli } from './cli.js';
export { bufferIo, type BufferIo, type CliIo, type TextSink } from './io.js';
export { QmClient, type ClientOptions, type ListQuery, type RequestOptions } from './client.js';
export { resolveConfig, DEFAULT_SERVER, type ResolvedConfig, type ConfigInputs } from './config.js';
export { CliError, EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED, exitCodeFor, errorLines } from './errors.js';
export { applyObject, applyManifestSet, type ApplyResult } from './commands/apply.js';
export { readManifests, parseManifestText, type ManifestDoc, type ManifestSet } from './manifests.js';
export { resolveKind, qualifiedKind, qualifiedName } from './kinds.js';
export { formatDuration, formatAge } from './age.js';
export { renderTable } from './table.js';
export { buildTable, columnsFor } from './table-defs.js';
export { READY_LINE } from './commands/up.js';
