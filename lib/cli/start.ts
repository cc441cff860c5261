import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { createMirror } from '../mirror';
import { startServer } from '../server';
import { CliError, type CliIO } from './io';

export interface StartOptions {
  config: string;
}

/**
 * `lifec-mirror start`: compiles the config, serves its `.proxy` and runs
 * until SIGINT/SIGTERM, then drains in-flight requests.
 */
export async function startCommand(options: StartOptions, io: CliIO, logger: Logger): Promise<void> {
  const configPath = path.resolve(io.cwd, options.config);
  if (!existsSync(configPath)) {
    throw new CliError(
      `no config at ${configPath}: create one with "lifec-mirror --registry <name> init" or pass --config <file> (see docs/runmd.md)`,
    );
  }
  const mirror = createMirror({ configPath, logger });
  const running = await startServer(mirror, logger).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot listen on ${mirror.config.proxy?.address}: ${err.code ?? err.message}`, 1, { cause: err });
  });
  io.stdout.write(`lifec-mirror serving ${mirror.config.mirrors.map((m) => m.host).join(', ')} on ${running.url}\n`);
  const signal = await io.stopSignal;
  logger.info({ signal }, 'shutting down: draining in-flight requests');
  await running.close();
}
