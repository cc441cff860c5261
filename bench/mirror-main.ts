import { createLogger } from '../lib/log';
import { createMirror } from '../lib/mirror';
import { startServer } from '../lib/server';

/**
 * What `lifec-mirror start --config <file>` does (compile the config, serve
 * its `.proxy`, log JSON lines at info), from the bench's own build of lib/,
 * so the bench measures the source it was started with.
 */
async function serve(configPath: string): Promise<void> {
  const logger = createLogger({ level: 'info', destination: process.stderr });
  const mirror = createMirror({ configPath, logger });
  const running = await startServer(mirror, logger);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  logger.info({ signal }, 'shutting down');
  await running.close(2_000);
}

const configPath = process.argv[2];
if (!configPath) throw new Error('usage: mirror-main.js <config.runmd>');
serve(configPath).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`lifec-mirror: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
