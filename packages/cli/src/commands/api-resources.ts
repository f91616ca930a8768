import { KINDS } from '@qm/api';
import { renderTable } from '../table.js';
import type { CommandModule } from './context.js';

/** `qm api-resources`: every kind with its short names, apiVersion and scope (no server needed). */
export const apiResourcesCommand: CommandModule = {
  name: 'api-resources',
  register(program, ctx) {
    program
      .command('api-resources')
      .description('List the kinds the platform serves, with their short names')
      .action(() => {
        const rows = KINDS.map((k) => [k.plural, k.shortNames.join(',') || '', k.apiVersion, String(k.namespaced), k.kind]);
        ctx.io.stdout.write(renderTable(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'], rows));
      });
  },
};
