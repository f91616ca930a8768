import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findKind } from '@qm/api';
import { readConfigFile } from '../config.js';
import { sleep } from '../io.js';
import { readManifests } from '../manifests.js';
import { repoRoot } from '../repo-paths.js';
import { applyManifestSet } from './apply.js';
import type { CommandContext } from './context.js';
import { noResourcesMessage, tableText } from './get.js';

/** How often the demo looks for changes to the TrainingJob table. */
const DEMO_POLL_MS = 3000;

/** What the demo applies, in order: the teams' namespaces, priorities and queues, then their jobs and a served model. */
const DEMO_DIRS = [join('examples', 'cluster'), join('examples', 'training'), join('examples', 'serving')];

/**
 * `qm up --demo`, once the server is ready: applies the example cluster (`examples/cluster/`), jobs
 * (`examples/training/`) and served model (`examples/serving/`), prints the nodes, queues, training
 * jobs and model deployments, then reprints the TrainingJob table whenever a job changes, until
 * the signal aborts.
 */
export async function runDemo(ctx: CommandContext, opts: { server: string; configPath: string; signal: AbortSignal }): Promise<void> {
  const { io } = ctx;
  const token = readConfigFile(opts.configPath, (p) => readFileSync(p, 'utf8')).token;
  const client = ctx.client({ server: opts.server, token });
  const root = repoRoot();
  for (const demoDir of DEMO_DIRS) {
    io.stdout.write(`\n$ qm apply -f ${demoDir}/\n`);
    if (existsSync(join(root, demoDir))) {
      const set = await readManifests([demoDir], { cwd: root, stdin: io.stdin });
      await applyManifestSet(client, set, { value: 'default', explicit: false }, io);
    } else {
      io.stdout.write(`note: ${join(root, demoDir)} does not exist, so there is nothing to apply from it.\n`);
    }
  }

  const tjInfo = findKind('TrainingJob')!;
  for (const [title, kind, all] of [['qm get nodes', 'Node', false], ['qm get queues', 'Queue', false], ['qm get tj -A', 'TrainingJob', true], ['qm get md -A', 'ModelDeployment', true]] as const) {
    const info = findKind(kind)!;
    const list = await client.list(info, undefined);
    io.stdout.write(`\n$ ${title}\n`);
    io.stdout.write(list.items.length ? tableText(info, list.items, { wide: false, allNamespaces: all, nowMs: io.now() }) : `${noResourcesMessage({ info, namespace: undefined })}\n`);
  }

  // Reprint a table when something in it changed (its resourceVersions); ages alone tick every second.
  const mdInfo = findKind('ModelDeployment')!;
  const last = new Map<string, string>();
  while (!opts.signal.aborted) {
    for (const [title, info] of [['qm get tj -A', tjInfo], ['qm get md -A', mdInfo]] as const) {
      const list = await client.list(info, undefined);
      const signature = list.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`).join(' ');
      const before = last.get(info.kind);
      if (before !== undefined && signature !== before && list.items.length > 0) {
        io.stdout.write(`\n$ ${title}    # ${new Date(io.now()).toISOString().slice(11, 19)}\n`);
        io.stdout.write(tableText(info, list.items, { wide: false, allNamespaces: true, nowMs: io.now() }));
      }
      last.set(info.kind, signature);
    }
    await sleep(DEMO_POLL_MS, opts.signal);
  }
}
