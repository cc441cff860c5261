import type { MirrorStatus } from '../admin/status-data';
import { adminRequest } from './admin-client';
import type { CliIO } from './io';
import { mirrorUrl } from './mirror-url';
import type { RegisterCommand } from './program';
import { renderStatusTable } from './status-table';

export interface StatusOptions {
  config: string;
  mirror?: string;
  json?: boolean;
}

/** `status [--mirror url] [--json]`: what the running mirror is doing (`GET /_lifec/status.json`). */
export const registerStatus: RegisterCommand = (program, env) => {
  program
    .command('status')
    .description("show the running mirror's registries, cache, downloads, warm jobs and last requests")
    .option('--mirror <url>', 'the running mirror (default: the .proxy address of --config, else localhost:8578)')
    .option('-c, --config <file>', 'runmd config file naming the mirror address', 'mirror.runmd')
    .option('--json', 'print /_lifec/status.json as it is')
    .action((options: StatusOptions) => statusCommand(options, env.io));
};

export async function statusCommand(options: StatusOptions, io: CliIO): Promise<void> {
  const base = mirrorUrl(options.mirror, options.config, io);
  const status = await adminRequest<MirrorStatus>(base, 'GET', '/_lifec/status.json');
  io.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : renderStatusTable(status, base));
}
