import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Request, type Router } from 'express';
import type { Logger } from 'pino';
import { defaultCatalog } from './catalog';
import { errorHandler, type ErrorOutcome, type MirrorError } from './errors';
import { authEndpoint } from './admin/auth-endpoint';
import { adminRouter } from './admin/router';
import { statusEndpoint } from './admin/status-endpoint';
import { warmEndpoint } from './admin/warm-endpoint';
import { accessLog } from './http/access-log';
import { tlsFiles, type TlsFiles } from './http/tls-files';
import { notServed } from './http/not-served';
import { refuseMalformedEscapes } from './http/path-encoding';
import { countRequests } from './metrics/count-requests';
import { silentLogger } from './log';
import { PLUGINS } from './middleware';
import { systemClock, type Clock } from './clock';
import type { MirrorContext } from './middleware/context';
import { type PluginDefinition } from './middleware/plugin';
import { buildProxyRouter } from './router';
import type { Catalog } from './runmd/catalog';
import { compileRunmd } from './runmd/compile';
import type { MirrorConfig } from './runmd/config';
import { RunmdError } from './runmd/errors';
import { parseRunmd } from './runmd/parse';
import { createServices, type MirrorServices } from './services';
import { upstreamsFromConfig } from './upstream/from-config';
import { UpstreamSet } from './upstream/upstream';

export interface MirrorOptions {
  /** runmd text; or give `configPath`. */
  runmd?: string;
  /** A runmd file; its directory is the mirror's home unless `home` is given. */
  configPath?: string;
  /** Where credential files and state live (default: the config file's directory, or the working directory). */
  home?: string;
  logger?: Logger;
  clock?: Clock;
  /** Extra plugins, by runmd name, added to (or replacing) the built-in ones. */
  plugins?: ReadonlyMap<string, PluginDefinition>;
}

/** The router `createMirror` returns: an Express router plus what it was built from. */
export type MirrorRouter = Router & {
  readonly config: MirrorConfig;
  readonly services: MirrorServices;
  /** The certificate and key of `: .tls` (absolute paths): the server speaks HTTPS with them. */
  readonly tls?: TlsFiles;
  /** Releases what the mirror holds (timers, files). */
  close(): Promise<void>;
};

/**
 * Compiles runmd into an Express router that serves the OCI distribution
 * API for the configured registries: `app.use(createMirror({ configPath: 'mirror.runmd' }))`.
 *
 * @throws RunmdError when the configuration is invalid (with file:line:column).
 */
export function createMirror(options: MirrorOptions): MirrorRouter {
  const { text, file } = loadRunmd(options);
  const plugins = new Map([...PLUGINS, ...(options.plugins ?? [])]);
  const catalog: Catalog = { ...defaultCatalog, plugins };
  const config = compileRunmd(parseRunmd(text, file), catalog);
  if (!config.proxy) throw new RunmdError({ file, line: 1, column: 1 }, 'no "+ .proxy <address>" block: nothing to serve');
  if (config.mirrors.length === 0) throw new RunmdError(config.proxy.pos, 'no registry declared: add ": .mirror <registry>" to a .runtime block');
  const logger = options.logger ?? silentLogger();
  const clock = options.clock ?? systemClock;
  const home = options.home ?? (options.configPath ? path.dirname(path.resolve(options.configPath)) : process.cwd());
  // Without a home (runmd text only) there is no place for state: the cache is then off unless `.cache` names a directory.
  const hasHome = options.home !== undefined || options.configPath !== undefined;
  const services = createServices({ home, logger, clock, settings: config.proxy.settings, cacheByDefault: hasHome });
  const upstreams = new UpstreamSet(upstreamsFromConfig(config.mirrors));
  const tls = tlsFiles(config.proxy.settings, home);
  const deps = { logger, clock, home, upstreams, services };

  const router = express.Router() as MirrorRouter;
  router.use(accessLog(logger, clock, (entry) => services.activity.requestDone(entry)));
  router.use(countRequests(services.metrics));
  router.use(refuseMalformedEscapes);
  router.use(adminRouter(services));
  router.use(authEndpoint({ proxy: config.proxy, upstreams, services }));
  router.use(warmEndpoint(services));
  router.use(statusEndpoint(services, upstreams));
  router.use(buildProxyRouter(config.proxy, plugins, deps));
  // The mirror answers every request that reaches it: an app that mounts it serves its own routes first.
  router.use(notServed);
  router.use(
    errorHandler((err, req, outcome) => {
      logError(logger, err, req, outcome);
      const ctx = req.res?.locals.mirror as MirrorContext | undefined;
      if (ctx && err.status >= 500 && err.status !== 499) services.activity.failed(ctx.upstream.host, ctx.requestId, describeError(err));
    }),
  );
  return Object.assign(router, { config, services, tls, close: () => services.close() });
}

function loadRunmd(options: MirrorOptions): { text: string; file: string } {
  if (options.runmd !== undefined) return { text: options.runmd, file: options.configPath ?? 'mirror.runmd' };
  if (!options.configPath) throw new TypeError('createMirror needs `runmd` text or a `configPath`');
  return { text: readFileSync(options.configPath, 'utf8'), file: options.configPath };
}

/** The message and its cause, for the status page's last error per registry. */
function describeError(err: MirrorError): string {
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.status} ${err.code}: ${err.message}${cause}`;
}

/**
 * One line per failed request. `status` is what the client got: after a cut
 * that is the status already sent (with `cut`), so the line never claims a
 * 500 the client did not see; `error` is the failure's own status.
 */
function logError(logger: Logger, err: MirrorError, req: Request, outcome: ErrorOutcome): void {
  const level = err.status >= 500 ? 'warn' : 'debug';
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  const fields = { method: req.method, path: req.path, status: outcome.status, cut: outcome.cut || undefined, error: outcome.status === err.status ? undefined : err.status, code: err.code, cause };
  logger[level](fields, outcome.cut ? `answer cut after its headers: ${err.message}` : err.message);
}
