import type { Logger } from 'pino';
import { createAuthServices, type AuthServices } from './auth/services';
import type { Clock } from './middleware/plugin';

/**
 * State shared by the plugins of one mirror (caches, stores, metrics). One
 * instance per `createMirror`, so two mirrors in one process never share
 * credentials or cached tokens.
 */
export interface MirrorServices {
  /** Credentials, the token cache and learned challenges (`.login`, `.authn`, `/auth`). */
  auth: AuthServices;
  /** Releases timers, files and sockets the services hold. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  home: string;
  logger: Logger;
  clock: Clock;
  /** Environment for credential sources (`.login env`, Docker credential helpers); default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export function createServices(options: ServiceOptions): MirrorServices {
  return { auth: createAuthServices(options), close: async () => undefined };
}
