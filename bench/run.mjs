#!/usr/bin/env node
// Runs one benchmark by name (or lists them): `npm run bench -- api-throughput`.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('./dist/', import.meta.url));
const names = readdirSync(dist).filter((f) => f.endsWith('.js') && f !== 'support.js').map((f) => f.replace(/\.js$/, ''));
const [name, ...rest] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.log(`benchmarks: ${names.join(', ')}\nusage: npm run bench -- NAME [args]`);
  process.exit(name ? 2 : 0);
}
process.exit(spawnSync(process.execPath, [`${dist}${name}.js`, ...rest], { stdio: 'inherit' }).status ?? 1);
