#!/usr/bin/env node
// Checks the import graph of every TypeScript source file:
//  1. no import cycles between modules (within and across packages);
//  2. packages import each other only along the layering in ARCHITECTURE.md;
//  3. no deep imports across packages (`@qm/store/src/x` is refused; `@qm/store` is fine).
// Exits 1 and prints every problem, or prints a one-line summary and exits 0.
// Usage: node scripts/check-imports.mjs [ROOT]
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)));

/** Which workspace packages each package may import (ARCHITECTURE.md: api ← core ← {…}; cli speaks HTTP). */
const ALLOWED = {
  api: [],
  core: ['api'],
  store: ['api', 'core'],
  'executor-local': ['api', 'core'],
  gateway: ['api', 'core'],
  sim: ['api', 'core', 'store'],
  server: ['api', 'core', 'store', 'executor-local', 'gateway'],
  cli: ['api'],
};

function listSources(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) listSources(path, out);
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const packageDirs = {};
for (const name of Object.keys(ALLOWED)) {
  const dir = name === 'executor-local' ? 'packages/executors/local' : `packages/${name}`;
  packageDirs[name] = join(root, dir, 'src');
}
const packageOf = (file) => Object.keys(packageDirs).find((p) => file.startsWith(packageDirs[p] + '/'));

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC_RE = /import\(\s*['"]([^'"]+)['"]\s*\)/g;

const problems = [];
const graph = new Map();
const files = Object.values(packageDirs).flatMap((d) => listSources(d));
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const pkg = packageOf(file);
  const edges = [];
  const specs = [...text.matchAll(IMPORT_RE), ...text.matchAll(DYNAMIC_RE)].map((m) => m[1]);
  const typeOnly = new Set([...text.matchAll(/(?:^|\n)\s*import\s+type\s[^'";]*from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]));
  for (const spec of specs) {
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      const candidates = [target, target.replace(/\.ts$/, '/index.ts')];
      const hit = candidates.find((c) => existsSync(c));
      if (!hit) continue;
      // Type-only imports vanish at run time; they cannot form a load-order cycle.
      if (!typeOnly.has(spec)) edges.push(hit);
      if (packageOf(hit) !== pkg) problems.push(`${relative(root, file)}: relative import ${spec} reaches into another package; import it by name`);
    } else if (spec.startsWith('@qm/')) {
      const [, name, ...rest] = spec.split('/');
      if (rest.length > 0) problems.push(`${relative(root, file)}: deep import ${spec}; import '@qm/${name}' (its index) instead`);
      if (!(ALLOWED[pkg] ?? []).includes(name)) problems.push(`${relative(root, file)}: package ${pkg} may not import @qm/${name} (allowed: ${(ALLOWED[pkg] ?? []).join(', ') || 'none'})`);
    }
  }
  graph.set(file, edges);
}

// Tarjan's strongly connected components: every component with more than one file is a cycle.
let index = 0;
const indexOf = new Map(), low = new Map(), onStack = new Set(), stack = [];
function strongConnect(v) {
  indexOf.set(v, index); low.set(v, index); index++;
  stack.push(v); onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!indexOf.has(w)) { strongConnect(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indexOf.get(w)));
  }
  if (low.get(v) === indexOf.get(v)) {
    const component = [];
    let w;
    do { w = stack.pop(); onStack.delete(w); component.push(w); } while (w !== v);
    const selfLoop = (graph.get(v) ?? []).includes(v);
    if (component.length > 1 || selfLoop) problems.push(`import cycle: ${component.map((f) => relative(root, f)).sort().join(' → ')}`);
  }
}
for (const v of graph.keys()) if (!indexOf.has(v)) strongConnect(v);

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`check-imports: ${problems.length} problem(s) in ${files.length} files`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} files, no cycles, layering respected`);
