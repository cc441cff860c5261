import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import { prepareRun, runEngine } from '../engine/engine';
import { systemClock } from '../clock';
import { loadTls } from '../http/tls-files';
import { createMirror, type MirrorRouter } from '../mirror';
import { STEP_RUNNERS } from '../runtime';
import { parseListenAddress, startServer } from '../server';
import { CliError, type CliIO } from './io';
import { BUILT_IN_NAME, DEFAULT_REGISTRIES, defaultHome } from './default-runmd';
import { findConfig, registryHostOf } from './load-config';
import type { RegisterCommand } from './program';

/** `start [--config file] [--id n] [--hosts-dir dir]`. */
export const registerStart: RegisterCommand = (program, env) => {
  program
    .command('start')
    .description('run the engine (each .runtime step in turn), then serve the .proxy until SIGINT/SIGTERM')
    .option('-c, --config <file>', 'runmd config file (default: ./mirror.runmd, else the built-in default: the public registries)')
    .option('--id <n>', 'start at the step with this id (see "dump"), skipping the steps before it', parseId)
    .option('--hosts-dir <dir>', "containerd's hosts directory (default: .hosts_dir, else /etc/containerd/certs.d)")
    .option('--listen <host:port>', 'listen on this address instead of the .proxy address', parseListen)
    .action(async (options: { config?: string; id?: number; hostsDir?: string; listen?: string }) => {
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

function parseListen(text: string): string {
  try {
    parseListenAddress(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return text;
}

function parseId(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('an id is a whole number, as "lifec-mirror dump" lists them');
  return Number(text);
}

export interface StartOptions {
  /** `--config`: without it `./mirror.runmd`, else the built-in default. */
  config?: string;
  /** `--listen`: overrides the `.proxy` address. */
  listen?: string;
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
  const source = findConfig(options.config, io);
  const origin: Origin =
    source.kind === 'file'
      ? { label: source.file, home: path.dirname(source.file), builtIn: false }
      : { label: BUILT_IN_NAME, home: createHome(defaultHome(io.env)), builtIn: true };
  const mirror = source.kind === 'file' ? createMirror({ configPath: source.file, logger }) : createMirror({ runmd: source.runmd, configPath: BUILT_IN_NAME, home: origin.home, logger });
  const served = await runAndServe(mirror, origin, options, io, logger).catch(async (err: unknown) => {
    await mirror.close();
    throw err;
  });
  // A server that ran has closed the mirror while draining.
  if (!served) await mirror.close();
}

/** Where the config came from, and the home its state lives in. */
interface Origin {
  /** The config file, or the built-in default's name. */
  label: string;
  home: string;
  builtIn: boolean;
}

/** The built-in default's home, made on first use (owner only: it may hold credentials one day). */
function createHome(home: string): string {
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError(`cannot create the mirror's home ${home}: ${code} (set LIFEC_MIRROR_HOME to another directory)`, 1, { cause: err });
  }
  return home;
}

/** The `.tls` files must load before anything runs: one line naming them, not a failed listen. */
function checkTls(mirror: MirrorRouter): void {
  if (!mirror.tls) return;
  try {
    loadTls(mirror.tls);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError(`cannot serve HTTPS with .tls ${mirror.tls.cert} ${mirror.tls.key}: ${reason}`, 1, { cause: err });
  }
}

/** Runs the engine, then serves; false when stopped before serving. */
async function runAndServe(mirror: MirrorRouter, origin: Origin, options: StartOptions, io: CliIO, logger: Logger): Promise<boolean> {
  const { config } = mirror;
  if (options.registry !== undefined) {
    const wanted = registryHostOf(options.registry, options.registryHost);
    if (!config.mirrors.some((m) => m.host === wanted)) {
      throw new CliError(`${origin.label} does not mirror ${wanted} (it declares ${config.mirrors.map((m) => m.host).join(', ')})`);
    }
  }
  const address = options.listen ?? config.proxy?.address ?? 'localhost:8578';
  // An unknown --id, a step without a runner or a port in use fails here,
  // before any step has run: no hosts.toml then points containerd at a port
  // another program holds.
  prepareRun(config, STEP_RUNNERS, options.id);
  checkTls(mirror);
  await checkPortFree(address);
  const stop = new AbortController();
  void io.stopSignal.then(() => stop.abort());
  const ctx = { home: origin.home, config, logger, clock: systemClock, env: io.env, services: mirror.services, hostsDir: options.hostsDir, signal: stop.signal };
  const outcome = await runEngine(config, { runners: STEP_RUNNERS, ctx, startAt: options.id });
  if (outcome === 'stopped') {
    logger.info('stopped before serving');
    return false;
  }
  const running = await startServer(mirror, logger, parseListenAddress(address)).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot listen on ${address}: ${err.code ?? err.message}`, 1, { cause: err });
  });
  io.stdout.write(origin.builtIn ? builtInBanner(running.url, origin.home) : `lifec-mirror serving ${config.mirrors.map((m) => m.host).join(', ')} on ${running.url}\n`);
  const signal = await io.stopSignal;
  logger.info({ signal }, 'shutting down: draining in-flight requests');
  await running.close();
  return true;
}

/** The one line a mirror started without a config prints: what it serves, and what to do next. */
function builtInBanner(url: string, home: string): string {
  const [first, ...rest] = DEFAULT_REGISTRIES;
  return (
    `lifec-mirror serving the built-in default (${first} as the default, ${rest.join(', ')}) on ${url}, state in ${home}; ` +
    'point a client at it with "lifec-mirror configure containerd|docker|podman|k3s", customise it with "lifec-mirror init --default"\n'
  );
}
