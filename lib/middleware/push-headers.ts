import type { OutgoingHttpHeaders } from 'node:http';
import type { Request } from 'express';
import type { Challenge } from '../auth/challenge';
import type { MirrorContext } from './context';
import { Header } from '../oci/mediatypes';
import type { AuthorizedRequest } from '../upstream/exchange';

/** Client headers a write carries upstream; nothing else of the client's goes (cookies, proxy credentials, `Expect`). */
const FORWARDED = ['accept', 'content-type', 'content-length', 'content-range', 'transfer-encoding', 'user-agent'];

/** What the plugin keeps across writes to learn each registry's challenge once. */
export interface ChallengeState {
  /** The challenge each registry answered last (shared with the reads). */
  challenges: Map<string, Challenge>;
  /** Registries whose probe had no challenge (they take writes without a token): not probed again. */
  open: Set<string>;
}

/**
 * The headers of one write: the client's body headers, the request id, and
 * the `Authorization` for the scope the write needs. A write's body cannot be
 * replayed after a 401, so the registry's challenge is learned before the
 * first one (a `GET /v2/`, as containerd pings, whose retry with a token also
 * fetches the write's token); then the token comes from the shared cache,
 * with enough life left for a long upload. Without `.authn`, the client's own
 * `Authorization` goes to the upstream `ns` named, as on reads.
 */
export async function writeHeaders(req: Request, ctx: MirrorContext, auth: AuthorizedRequest, state: ChallengeState): Promise<OutgoingHttpHeaders> {
  const headers: OutgoingHttpHeaders = { [Header.requestId]: ctx.requestId };
  for (const name of FORWARDED) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  if (!ctx.authorizer) {
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    return headers;
  }
  const host = ctx.upstream.host;
  if (!state.challenges.has(host) && !state.open.has(host)) {
    const ping = await ctx.client.send({ method: 'GET', path: '/v2/', scopes: auth.scopes, write: true, signal: ctx.signal }, ctx.authorizer);
    ping.body.resume();
    if (!state.challenges.has(host)) state.open.add(host);
  }
  const authorization = await ctx.authorizer.authorize(auth);
  if (authorization) headers.authorization = authorization;
  return headers;
}
