import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { Challenge } from './challenge';
import { CredentialStore } from './credential-store';
import { TokenCache } from './token-cache';

/** The credential state of one mirror: shared by `.login`, `.authn`, the runtime steps and `/auth`. */
export interface AuthServices {
  credentials: CredentialStore;
  tokens: TokenCache;
  /** The last challenge per registry host, so requests after the first skip the 401 probe. */
  challenges: Map<string, Challenge>;
}

export function createAuthServices(options: { home: string; logger: Logger; clock: Clock; env?: NodeJS.ProcessEnv }): AuthServices {
  return { credentials: new CredentialStore(options), tokens: new TokenCache(options.clock), challenges: new Map() };
}
