#!/usr/bin/env node
/**
 * The simulator as a program (what `qm simulate` runs as a child process):
 * `node packages/sim/dist/main.js FILE [-o json|table] [--until DURATION]`.
 * Exit 0: the report is on stdout. Exit 2: a bad file or bad flags — one
 * `error: FILE: path: what is wrong` line per cause on stderr, nothing ran. Exit 1: an
 * internal failure.
 */
import { EXIT_CODES, runMain } from './run-main.js';

runMain(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: internal: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = EXIT_CODES.internal;
  },
);
