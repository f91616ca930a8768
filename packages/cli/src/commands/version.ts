import { errorLines } from '../errors.js';
import { cliVersion } from '../repo-paths.js';
import type { CommandModule } from './context.js';

interface ServerVersion {
  version?: string;
  apiVersion?: string;
  gitCommit?: string;
}

export const versionCommand: CommandModule = {
  name: 'version',
  register(program, ctx) {
    program
      .command('version')
      .description("Print the client's version and, if reachable, the server's")
      .action(async () => {
        ctx.io.stdout.write(`Client Version: ${cliVersion()}\n`);
        try {
          const v = await ctx.client().request<ServerVersion>('GET', '/version');
          const extra = [v?.apiVersion ? `API ${v.apiVersion}` : '', v?.gitCommit ? `commit ${v.gitCommit}` : ''].filter(Boolean).join(', ');
          ctx.io.stdout.write(`Server Version: ${v?.version ?? 'unknown'}${extra ? ` (${extra})` : ''}\n`);
        } catch (err) {
          // Still exit 0: the client's version was asked for and printed.
          ctx.io.stdout.write('Server Version: unavailable\n');
          ctx.io.stderr.write(`note: ${errorLines(err)[0]}\n`);
        }
      });
  },
};
