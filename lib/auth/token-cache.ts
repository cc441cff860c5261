import type { Clock } from '../clock';
import { jwtExpiry } from './jwt';

/** A token as the token endpoint issued it. */
export interface IssuedToken {
  token: string;
  /** Seconds, from the answer's `expires_in`, when it has one. */
  expiresIn?: number;
}

/** What a cached token is for: one realm, service and scope set, for one credential. */
export interface TokenKey {
  realm: string;
  service: string;
  /** Normalized scopes, space-joined. */
  scope: string;
  /** A digest of the credential (never the secret itself); '' for anonymous. */
  identity: string;
}

interface Entry {
  token: string;
  expiresAt: number;
  refreshAt: number;
  /** Before this, the token may start a write (see {@link WRITE_MARGIN_MS}). */
  writeUntil: number;
}

/** Options of one {@link TokenCache.get}. */
export interface TokenUse {
  /**
   * The token starts a write, whose body cannot be replayed after a 401: it
   * gets a token with at least half its lifetime (at most a minute) left, so a
   * chunked upload's next PATCH does not go out with one about to expire.
   */
  write?: boolean;
}

/** The token spec's default lifetime when `expires_in` is absent (docs/spec/auth/token.md). */
export const DEFAULT_TOKEN_SECONDS = 60;
/** Refresh this early (at most), so a token does not expire between the cache and the registry. */
const MAX_REFRESH_MARGIN_MS = 30_000;
/** A write wants at least this much of a token's life left (or half of it, for short-lived tokens). */
const WRITE_MARGIN_MS = 60_000;
/** Past this many entries, expired ones are dropped on insert. */
const PRUNE_THRESHOLD = 1_000;

/**
 * Access tokens per (realm, service, scope, credential), like containerd's
 * authorizer: reused until shortly before they expire, one request in flight
 * per key however many pulls wait for it, and dropped when the registry
 * rejects them.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly clock: Clock) {}

  /** A valid token for `key`, fetched with `fetch` when none is cached (single-flight). */
  async get(key: TokenKey, fetch: () => Promise<IssuedToken>, use: TokenUse = {}): Promise<string> {
    const id = keyId(key);
    const entry = this.entries.get(id);
    if (entry && this.clock.now() < (use.write ? entry.writeUntil : entry.refreshAt)) return entry.token;
    const inFlight = this.pending.get(id);
    if (inFlight) return inFlight;
    const request = fetch()
      .then((issued) => this.store(id, issued))
      .finally(() => this.pending.delete(id));
    this.pending.set(id, request);
    return request;
  }

  /** Drops `token` for `key` (the registry answered 401 to it); a newer token stays. */
  invalidate(key: TokenKey, token: string): boolean {
    const id = keyId(key);
    if (this.entries.get(id)?.token !== token) return false;
    this.entries.delete(id);
    return true;
  }

  /** Forgets every token issued for `identity` (its credential changed or was revoked). */
  forgetIdentity(identity: string): void {
    for (const id of [...this.entries.keys()]) {
      if (id.endsWith(`\n${identity}`)) this.entries.delete(id);
    }
  }

  /** How many unexpired tokens are cached for a realm and service, and when the last of them expires: never the tokens. */
  summary(realm: string, service: string): { count: number; expiresAt?: number } {
    const now = this.clock.now();
    let count = 0;
    let expiresAt: number | undefined;
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now || !id.startsWith(`${realm}\n${service}\n`)) continue;
      count += 1;
      expiresAt = Math.max(expiresAt ?? 0, entry.expiresAt);
    }
    return expiresAt === undefined ? { count } : { count, expiresAt };
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  private store(id: string, issued: IssuedToken): string {
    const now = this.clock.now();
    const expiresAt = issued.expiresIn !== undefined ? now + issued.expiresIn * 1000 : (jwtExpiry(issued.token) ?? now + DEFAULT_TOKEN_SECONDS * 1000);
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, Math.max(0, expiresAt - now) / 10);
    if (this.entries.size >= PRUNE_THRESHOLD) this.prune(now);
    const writeMargin = Math.min(WRITE_MARGIN_MS, Math.max(0, expiresAt - now) / 2);
    this.entries.set(id, { token: issued.token, expiresAt, refreshAt: expiresAt - margin, writeUntil: expiresAt - writeMargin });
    return issued.token;
  }

  private prune(now: number): void {
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(id);
    }
  }
}

function keyId(key: TokenKey): string {
  return [key.realm, key.service, key.scope, key.identity].join('\n');
}
