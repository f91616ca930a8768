// Lint rules that keep the architecture honest (see ../shared/design/ARCHITECTURE.md):
// `packages/core` decides and never touches the world, so it may not import Node's I/O
// modules nor read the wall clock or ambient randomness. Import cycles and cross-package
// deep imports are checked by scripts/check-imports.mjs (run by the test suite).
import tseslint from 'typescript-eslint';

const NODE_IO_MODULES = [
  'fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'dgram', 'dns', 'tls', 'child_process',
  'cluster', 'os', 'worker_threads', 'readline', 'process', 'timers', 'timers/promises', 'perf_hooks',
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'apps/**/build/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      'no-debugger': 'error',
      'no-var': 'error',
      'prefer-const': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...NODE_IO_MODULES.flatMap((m) => [m, `node:${m}`]).map((name) => ({
            name, message: 'packages/core is pure: take what you need through a port (Store, Clock, Rng, Recorder, Executor).',
          })),
          ...['better-sqlite3', 'fastify', 'undici', 'pg', 'pino', 'prom-client'].map((name) => ({
            name, message: 'packages/core may not depend on I/O libraries.',
          })),
        ],
        patterns: [{ group: ['@qm/store', '@qm/server', '@qm/sim', '@qm/cli', '@qm/gateway', '@qm/executor-*'], message: 'core depends only on @qm/api.' }],
      }],
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'No wall clock in core: take `now` or a Clock.' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'No wall clock in core: `new Date()` reads the time; take `now` or a Clock.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'No ambient randomness in core: take a seeded Rng.' },
        { selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']", message: 'No wall clock in core.' },
        { selector: "CallExpression[callee.name=/^(setTimeout|setInterval|setImmediate)$/]", message: 'No timers in core: the caller drives time.' },
        { selector: "MemberExpression[object.name='process']", message: 'No process globals (env, argv, hrtime) in core.' },
        { selector: "MemberExpression[object.name='crypto'][property.name='randomUUID']", message: 'No ambient randomness in core.' },
      ],
    },
  },
);
