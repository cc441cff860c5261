import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { PluginSignature } from '../runmd/catalog';
import type { PluginCall } from '../runmd/config';
import type { UpstreamSet } from '../upstream/upstream';
import type { MirrorServices } from '../services';

/** What a plugin factory gets besides its runmd line: never the network or disk directly. */
export interface PluginDeps {
  logger: Logger;
  clock: Clock;
  /** The mirror's home directory: credential files and state live under it. */
  home: string;
  upstreams: UpstreamSet;
  services: MirrorServices;
}

/**
 * A route plugin: its signature (checked by the compiler) and a factory that
 * turns its runmd line into an Express middleware. A factory throws a
 * `RunmdError` for a bad input, so mistakes surface when the mirror starts.
 */
export interface PluginDefinition extends PluginSignature {
  /** One line for `dump` and the docs. */
  summary: string;
  create(call: PluginCall, deps: PluginDeps): RequestHandler;
}
