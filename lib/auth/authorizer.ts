import { createHash } from 'node:crypto';
import type { Credentials } from './credentials';
import { MirrorError, UpstreamError } from '../errors';
import { Header } from '../oci/mediatypes';
import type { AuthorizedRequest, Authorizer, UpstreamResponse } from '../upstream/exchange';
import type { Upstream } from '../upstream/upstream';
import { parseChallenges, type Challenge } from './challenge';
import { normalizeScopes, repositoryScope } from './scope';
import type { IssuedToken, TokenCache, TokenKey } from './token-cache';
import { fetchToken, TokenError, type TokenRequest } from './token-client';

export interface AuthorizerOptions {
  upstream: Upstream;
  repository: string;
  credentials?: Credentials;
  tokens: TokenCache;
  /** The challenge each registry answered last, by host: shared by every request of a mirror. */
  challenges: Map<string, Challenge>;
  /** Seconds a client should wait before retrying after a token failure. */
  retryAfterSeconds?: number;
  /** The token fetcher (tests may count or fake calls). */
  fetch?: (request: TokenRequest) => Promise<IssuedToken>;
}

/** What one upstream request was sent with, to judge its 401. */
type Sent = { kind: 'none' } | { kind: 'basic' } | { kind: 'bearer'; key: TokenKey; token: string };

/**
 * Authenticates the mirror's requests to one upstream for one repository, as
 * containerd's docker authorizer does: the first request goes out bare, its
 * 401 teaches the challenge (remembered per registry, so later requests skip
 * the probe), then `Bearer` tokens come from the token cache and `Basic`
 * sends the username and password. A 401 to a cached token drops it and the
 * request is retried once with a fresh one.
 */
export class RegistryAuthorizer implements Authorizer {
  private readonly sent = new WeakMap<AuthorizedRequest, Sent>();

  constructor(private readonly options: AuthorizerOptions) {}

  async authorize(request: AuthorizedRequest): Promise<string | undefined> {
    const challenge = this.options.challenges.get(this.options.upstream.host);
    const authorization = challenge && (await this.answer(challenge, request));
    this.sent.set(request, authorization?.sent ?? { kind: 'none' });
    return authorization?.header;
  }

  async onUnauthorized(request: AuthorizedRequest, response: UpstreamResponse): Promise<boolean> {
    // The registry rejected this token, with or without telling how to get another.
    const sent = this.sent.get(request) ?? { kind: 'none' };
    if (sent.kind === 'bearer') this.options.tokens.invalidate(sent.key, sent.token);
    const challenge = this.readChallenge(response);
    if (!challenge) return false;
    this.options.challenges.set(this.options.upstream.host, challenge);
    if (challenge.scheme === 'basic' && !this.options.credentials) return false;
    // Retry unless Basic credentials were sent to a Basic challenge: sending them again cannot help.
    return !(sent.kind === 'basic' && challenge.scheme === 'basic');
  }

  private async answer(challenge: Challenge, request: AuthorizedRequest): Promise<{ header: string; sent: Sent } | undefined> {
    const credentials = this.options.credentials;
    if (challenge.scheme === 'basic') {
      const secret = credentials?.password ?? credentials?.refreshToken;
      if (!credentials || secret === undefined) return undefined;
      return { header: `Basic ${Buffer.from(`${credentials.username ?? ''}:${secret}`).toString('base64')}`, sent: { kind: 'basic' } };
    }
    const key = this.tokenKey(challenge, request.scopes);
    // The fetch is shared by every request waiting on this key (single-flight): it must not
    // carry one client's signal, or that client leaving fails them all. The token client's
    // own timeout bounds it.
    const token = await this.options.tokens.get(key, () => this.fetchToken(key), { write: request.write });
    return { header: `Bearer ${token}`, sent: { kind: 'bearer', key, token } };
  }

  private tokenKey(challenge: Challenge, scopes?: readonly string[]): TokenKey {
    const realm = challenge.params.realm ?? '';
    const scope = normalizeScopes(scopes ?? [repositoryScope(this.options.repository)]).join(' ');
    return { realm, service: challenge.params.service ?? '', scope, identity: credentialIdentity(this.options.credentials) };
  }

  private async fetchToken(key: TokenKey): Promise<IssuedToken> {
    const host = this.options.upstream.host;
    const credentials = this.options.credentials;
    checkRealm(key.realm, this.options.upstream, credentials !== undefined);
    try {
      return await (this.options.fetch ?? fetchToken)({ realm: key.realm, service: key.service, scopes: key.scope.split(' '), credentials });
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      const retryAfter = String(this.options.retryAfterSeconds ?? 10);
      throw new MirrorError(503, 'UNAVAILABLE', `cannot get a token for ${host}: ${err.message}`, { headers: { 'Retry-After': retryAfter } });
    }
  }

  private readChallenge(response: UpstreamResponse): Challenge | undefined {
    const raw = response.headers[Header.wwwAuthenticate];
    const header = Array.isArray(raw) ? raw.join(', ') : raw;
    if (!header) return undefined;
    let challenges: Challenge[];
    try {
      challenges = parseChallenges(header);
    } catch (err) {
      throw new UpstreamError(502, 'UNAVAILABLE', `upstream ${this.options.upstream.host} sent a WWW-Authenticate header the mirror cannot read: ${(err as Error).message}`);
    }
    // containerd prefers Bearer; Basic only when the registry offers nothing else.
    return challenges.find((c) => c.scheme === 'bearer' && c.params.realm) ?? challenges.find((c) => c.scheme === 'basic');
  }
}

/**
 * A token realm must be an http(s) URL, and credentials go over plain HTTP
 * only when the registry itself is plain HTTP: an https registry cannot
 * downgrade its user's secret to a cleartext realm.
 */
function checkRealm(realm: string, upstream: Upstream, withCredentials: boolean): void {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new UpstreamError(502, 'UNAVAILABLE', `upstream ${upstream.host} named a token realm that is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UpstreamError(502, 'UNAVAILABLE', `upstream ${upstream.host} named a token realm with the unsupported scheme ${url.protocol}`);
  }
  if (withCredentials && url.protocol === 'http:' && upstream.origin.startsWith('https:')) {
    throw new UpstreamError(502, 'UNAVAILABLE', `upstream ${upstream.host} asks for credentials over plain HTTP (${url.origin}); the mirror refuses to send them`);
  }
}

/** Tells credentials apart in cache keys without keeping the secret there. */
export function credentialIdentity(credentials: Credentials | undefined): string {
  if (!credentials) return '';
  const material = JSON.stringify([credentials.registry, credentials.username, credentials.password, credentials.refreshToken]);
  return createHash('sha256').update(material).digest('hex').slice(0, 32);
}
