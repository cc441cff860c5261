import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { parseCredentialSource, type CredentialSource } from '../auth/credential-source';
import { REFRESH_TOKEN_USERNAME } from '../auth/token-client';
import type { Credentials } from '../auth/credentials';
import { methodNotAllowed } from '../http/not-served';
import type { ProxySpec } from '../runmd/config';
import type { MirrorServices } from '../services';
import type { Upstream, UpstreamSet } from '../upstream/upstream';

export interface AuthEndpointOptions {
  proxy: ProxySpec;
  upstreams: UpstreamSet;
  services: Pick<MirrorServices, 'auth'>;
}

/**
 * `GET /auth?remote_url=<blob url>`: the credential endpoint of the overlaybd
 * snapshotter's `http` mode (`credentialConfig.mode = "http"` in
 * /etc/overlaybd/overlaybd.json). overlaybd reads layer data straight from
 * the registry and asks here for the username and password of the blob's
 * host; the answer is `{"traceId","success":true,"data":{"auths":{host:{username,password}}}}`.
 * Only loopback clients whose Host header is a loopback name are served (403
 * otherwise: DNS rebinding), only declared registries
 * (404 otherwise), with the credentials the proxy's `.login` names.
 */
export function authEndpoint(options: AuthEndpointOptions): Router {
  const source = loginSource(options.proxy);
  const router = express.Router();
  router.get('/auth', async (req, res) => {
    const traceId = req.get('x-request-id') ?? randomUUID();
    res.setHeader('Cache-Control', 'no-store');
    if (!isLoopback(req)) return fail(res, 403, traceId, 'the credential endpoint serves loopback clients only');
    if (!isLoopbackHost(req.headers.host)) return fail(res, 403, traceId, 'the credential endpoint answers only requests addressed to localhost or a loopback address');
    const upstream = upstreamOf(req.query.remote_url, options.upstreams);
    if (!upstream) return fail(res, 404, traceId, 'remote_url does not name a registry this mirror serves');
    if (!source) return fail(res, 404, traceId, 'no .login credentials are configured');
    const found = await options.services.auth.credentials.lookup(source, upstream.host);
    if (found.status === 'unavailable') return fail(res, 503, traceId, `credentials for ${upstream.host} are unavailable`);
    if (found.status === 'none') return fail(res, 404, traceId, `no credentials for ${upstream.host}`);
    const host = new URL(String(req.query.remote_url)).host;
    res.json({ traceId, success: true, data: { auths: { [host]: asUserPassword(found.credentials) } } });
  });
  router.all('/auth', methodNotAllowed(['GET', 'HEAD']));
  return router;
}

/** The first `.login` of the proxy whose input parses: the credentials the pull routes use. */
function loginSource(proxy: ProxySpec): CredentialSource | undefined {
  for (const call of proxy.routes.flatMap((r) => r.plugins).filter((p) => p.name === 'login')) {
    try {
      return parseCredentialSource(call.input);
    } catch {
      // The plugin factory reports a bad input at start; nothing to offer here.
    }
  }
  return undefined;
}

/** The declared upstream whose host (or origin host, e.g. registry-1.docker.io for docker.io) serves `remoteUrl`. */
function upstreamOf(remoteUrl: unknown, upstreams: UpstreamSet): Upstream | undefined {
  if (typeof remoteUrl !== 'string') return undefined;
  let host: string;
  try {
    const url = new URL(remoteUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    host = url.host.toLowerCase();
  } catch {
    return undefined;
  }
  return upstreams.all.find((u) => u.host === host || new URL(u.origin).host === host);
}

/** A refresh token goes as the password of ACR's all-zero username, which registries accept for Basic and token GETs. */
function asUserPassword(credentials: Credentials): { username: string; password: string } {
  if (credentials.refreshToken !== undefined) return { username: credentials.username ?? REFRESH_TOKEN_USERNAME, password: credentials.refreshToken };
  return { username: credentials.username ?? '', password: credentials.password ?? '' };
}

function isLoopback(req: Request): boolean {
  return isLoopbackAddress(req.socket.remoteAddress ?? '');
}

/**
 * True when the Host header names this machine by a loopback name: `localhost`,
 * 127.0.0.0/8 or `[::1]`, with an optional port. A web page on a DNS name that
 * its owner rebinds to 127.0.0.1 reaches the endpoint from a local browser
 * with a loopback socket, but its Host header still carries that DNS name.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const match = /^(\[[^\]]*\]|[^:]*)(?::\d{1,5})?$/.exec(host.trim().toLowerCase());
  const name = match?.[1];
  if (name === undefined) return false;
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped 127.x: the addresses of this machine's own processes. */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(address);
}

/** overlaybd reads `success`; an OCI client reads `errors` (every answer of the mirror carries them). */
function fail(res: Response, status: number, traceId: string, message: string): void {
  const code = status === 403 ? 'DENIED' : status === 404 ? 'NAME_UNKNOWN' : 'UNAVAILABLE';
  res.status(status).json({ traceId, success: false, message, errors: [{ code, message, detail: null }] });
}
