import type { Logger } from 'pino';
import type { Clock } from './middleware/plugin';

/**
 * State shared by the plugins of one mirror (caches, stores, metrics). One
 * instance per `createMirror`, so two mirrors in one process never share
 * credentials or cached tokens.
 */
export interface MirrorServices {
  /** Releases timers, files and sockets the services hold. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  home: string;
  logger: Logger;
  clock: Clock;
}

export function createServices(_options: ServiceOptions): MirrorServices {
  return { close: async () => undefined };
}
