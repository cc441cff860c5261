import net from 'node:net';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import { prepareRun, runEngine } from '../engine/engine';
import { systemClock } from '../clock';
import { createMirror, type MirrorRouter } from '../mirror';
import { STEP_RUNNERS } from '../runtime';
import { parseListenAddress, startServer } from '../server';
import { CliError, type CliIO } from './io';
import { registryHostOf, resolveConfigPath } from './load-config';
import type { RegisterCommand } from './program';

/** `start [--config file] [--id n] [--hosts-dir dir]`. */
export const registerStart: RegisterCommand = (program, env) => {
  program
    .command('start')
    .description('run the engine (each .runtime step in turn), then serve the .proxy until SIGINT/SIGTERM')
    .option('-c, --config <file>', 'runmd config file', 'mirror.runmd')
    .option('--id <n>', 'start at the step with this id (see "dump"), skipping the steps before it', parseId)
    .option('--hosts-dir <dir>', "containerd's hosts directory (default: .hosts_dir, else /etc/containerd/certs.d)")
    .action(async (options: { config: string; id?: number; hostsDir?: string }) => {
      const { registry, registryHost } = env.globals();
      const hostsDir = options.hostsDir === undefined ? undefined : path.resolve(env.io.cwd, options.hostsDir);
      await startCommand({ ...options, hostsDir, registry, registryHost }, env.io, env.logger());
    });
};

/** Binds the listen address for a moment; the real bind comes after the steps. */
async function checkPortFree(address: string): Promise<void> {
  const { host, port } = parseListenAddress(address);
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(new CliError(`cannot listen on ${address}: ${err.code ?? err.message}`, 1, { cause: err })));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

function parseId(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('an id is a whole number, as "lifec-mirror dump" lists them');
  return Number(text);
}

export interface StartOptions {
  config: string;
  /** `--id n`: start at step n as `dump` numbers it. */
  id?: number;
  /** containerd's hosts directory for the `.mirror` steps. */
  hostsDir?: string;
  /** `--registry`: the config must mirror this registry. */
  registry?: string;
  registryHost: string;
}

/**
 * `lifec-mirror start`: compiles the config, runs the engine's events (each
 * `.runtime` step in turn), then serves the `.proxy` until SIGINT/SIGTERM and
 * drains in-flight requests.
 */
export async function startCommand(options: StartOptions, io: CliIO, logger: Logger): Promise<void> {
  const configPath = resolveConfigPath(options.config, io);
  const mirror = createMirror({ configPath, logger });
  const served = await runAndServe(mirror, configPath, options, io, logger).catch(async (err: unknown) => {
    await mirror.close();
    throw err;
  });
  // A server that ran has closed the mirror while draining.
  if (!served) await mirror.close();
}

/** Runs the engine, then serves; false when stopped before serving. */
async function runAndServe(mirror: MirrorRouter, configPath: string, options: StartOptions, io: CliIO, logger: Logger): Promise<boolean> {
  const { config } = mirror;
  if (options.registry !== undefined) {
    const wanted = registryHostOf(options.registry, options.registryHost);
    if (!config.mirrors.some((m) => m.host === wanted)) {
      throw new CliError(`${configPath} does not mirror ${wanted} (it declares ${config.mirrors.map((m) => m.host).join(', ')})`);
    }
  }
  // An unknown --id, a step without a runner or a port in use fails here,
  // before any step has run: no hosts.toml then points containerd at a port
  // another program holds.
  prepareRun(config, STEP_RUNNERS, options.id);
  await checkPortFree(config.proxy?.address ?? 'localhost:8578');
  const stop = new AbortController();
  void io.stopSignal.then(() => stop.abort());
  const ctx = { home: path.dirname(configPath), config, logger, clock: systemClock, env: io.env, services: mirror.services, hostsDir: options.hostsDir, signal: stop.signal };
  const outcome = await runEngine(config, { runners: STEP_RUNNERS, ctx, startAt: options.id });
  if (outcome === 'stopped') {
    logger.info('stopped before serving');
    return false;
  }
  const running = await startServer(mirror, logger).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot listen on ${config.proxy?.address}: ${err.code ?? err.message}`, 1, { cause: err });
  });
  io.stdout.write(`lifec-mirror serving ${config.mirrors.map((m) => m.host).join(', ')} on ${running.url}\n`);
  const signal = await io.stopSignal;
  logger.info({ signal }, 'shutting down: draining in-flight requests');
  await running.close();
  return true;
}
