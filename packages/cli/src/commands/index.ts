import { apiResourcesCommand } from './api-resources.js';
import { applyCommand } from './apply.js';
import { costCommand } from './cost.js';
import { createCommand } from './create.js';
import type { CommandModule } from './context.js';
import { deleteCommand } from './delete.js';
import { describeCommand } from './describe.js';
import { getCommand } from './get.js';
import { loadCommand } from './load.js';
import { logsCommand } from './logs.js';
import { nodeCommand } from './node.js';
import { planCommand } from './plan.js';
import { simulateCommand } from './simulate.js';
import { upCommand } from './up.js';
import { versionCommand } from './version.js';

/**
 * Every top-level command, in the order `qm --help` lists them. A new command (simulate,
 * plan, node, cost, load…) is one module under `commands/` and one line here.
 */
export const COMMANDS: readonly CommandModule[] = [
  upCommand,
  applyCommand,
  createCommand,
  getCommand,
  describeCommand,
  deleteCommand,
  logsCommand,
  nodeCommand,
  simulateCommand,
  planCommand,
  costCommand,
  loadCommand,
  apiResourcesCommand,
  versionCommand,
];
