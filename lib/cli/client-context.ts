import type { DeclaredRegistry } from '../clients/declared-registry';
import { endpointFromAddress, endpointFromUrl, type MirrorEndpoint } from '../clients/mirror-endpoint';
import type { MirrorConfig } from '../runmd/config';
import { upstreamsFromConfig } from '../upstream/from-config';
import { compileSource } from './compile-file';
import { BUILT_IN_NAME } from './default-runmd';
import { CliError, type CliIO } from './io';
import { findConfig } from './load-config';

/** The options every `configure <client>` takes. */
export interface ConfigureOptions {
  config?: string;
  mirrorUrl?: string;
  dryRun?: boolean;
}

/** What every client writer needs: the declared registries and where clients reach the mirror. */
export interface ClientContext {
  io: CliIO;
  now: number;
  dryRun: boolean;
  /** The runmd file (or the built-in default), named in the header of the files written. */
  source: string;
  config: MirrorConfig;
  registries: readonly DeclaredRegistry[];
  /** The registry that answers a request without a registry hint. */
  defaultRegistry: string;
  endpoint: MirrorEndpoint;
}

/**
 * Reads the runmd file (`--config`, else ./mirror.runmd, else the built-in
 * default, as `start` does) and works out the client-side facts: every
 * `.mirror` with its origin, the default registry, and the mirror's URL
 * (`--mirror-url`, else the `.proxy` address: https with `.tls`, else http).
 */
export function loadClientContext(options: ConfigureOptions, io: CliIO, now: number): ClientContext {
  const found = findConfig(options.config, io);
  const source = found.kind === 'file' ? found.file : BUILT_IN_NAME;
  const config = compileSource(found);
  const upstreams = upstreamsFromConfig(config.mirrors);
  if (upstreams.length === 0) throw new CliError(`${source} declares no registry (".mirror <registry>"): there is nothing to point a client at`);
  if (!options.mirrorUrl && !config.proxy) throw new CliError(`${source} has no ".proxy": pass --mirror-url <url> to say where the mirror runs`);
  let endpoint: MirrorEndpoint;
  try {
    const tls = config.proxy?.settings.some((l) => l.name === 'tls' && l.key === undefined) === true;
    endpoint = options.mirrorUrl ? endpointFromUrl(options.mirrorUrl) : endpointFromAddress(config.proxy?.address ?? '', tls ? 'https' : 'http');
  } catch (err) {
    throw new CliError((err as Error).message, 1, { cause: err });
  }
  return {
    io,
    now,
    dryRun: options.dryRun === true,
    source,
    config,
    registries: upstreams.map((u) => ({ host: u.host, origin: u.origin })),
    defaultRegistry: upstreams.find((u) => u.isDefault)?.host ?? upstreams[0]!.host,
    endpoint,
  };
}
