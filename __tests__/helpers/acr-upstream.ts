import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/**
 * An in-process stand-in for Azure Container Registry (Azure itself cannot
 * be reached from tests), following Azure/acr docs/AAD-OAuth.md: a Bearer
 * challenge whose realm is `/oauth2/token`, `/oauth2/exchange` (AAD token →
 * refresh token), `/oauth2/token` answering only `access_token` (the expiry
 * is in the JWT), and blob GETs redirected (307) to a storage server on
 * another port that answers 400 InvalidAuthenticationInfo to any request
 * carrying `Authorization`, like Azure Blob Storage with a SAS URL.
 */
export interface AcrUpstream {
  /** `http://127.0.0.1:P`, and the host `127.0.0.1:P` (the token `service`). */
  url: string;
  host: string;
  repository: string;
  manifest: { digest: string; bytes: Buffer; mediaType: string };
  layer: { digest: string; bytes: Buffer };
  /** What each endpoint saw, oldest first. */
  tokenRequests: Array<{ method: string; grantType?: string; scope?: string; status: number }>;
  exchangeRequests: Array<{ tenant?: string; status: number }>;
  storageRequests: Array<{ path: string; authorization?: string; status: number }>;
  /** A refresh token the registry accepts, as `az acr login --expose-token` prints it. */
  issueRefreshToken(ttlSeconds?: number): string;
  /** The AAD token the fake instance-metadata endpoint hands out (and `/oauth2/exchange` accepts). */
  readonly aadToken: string;
  stop(): Promise<void>;
}

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An unsigned JWT-shaped token: the fake checks tokens by lookup, not by signature. */
const jwt = (claims: object): string => `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}.${crypto.randomBytes(16).toString('base64url')}`;
const sha256 = (bytes: Buffer): string => `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

function readBody(req: http.IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(new URLSearchParams(text)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body: string | Buffer, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export async function startAcrUpstream(): Promise<AcrUpstream> {
  const repository = 'team/app';
  const layerBytes = crypto.randomBytes(64 * 1024);
  const layer = { digest: sha256(layerBytes), bytes: layerBytes };
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const mediaType = 'application/vnd.oci.image.manifest.v1+json';
  const manifestBytes = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layerBytes.length }],
  }));
  const blobs = new Map([[layer.digest, layerBytes], [sha256(config), config]]);
  const refreshTokens = new Set<string>();
  const accessTokens = new Map<string, { scope: string; exp: number }>();
  const aadToken = jwt({ aud: 'https://management.azure.com/', tid: 'tenant-0001', exp: nowSeconds() + 3600 });
  const tokenRequests: AcrUpstream['tokenRequests'] = [];
  const exchangeRequests: AcrUpstream['exchangeRequests'] = [];
  const storageRequests: AcrUpstream['storageRequests'] = [];

  const storage = http.createServer((req, res) => {
    const authorization = req.headers.authorization;
    const blob = blobs.get(decodeURIComponent((req.url ?? '').slice(1).split('?')[0] ?? ''));
    const status = authorization ? 400 : blob ? 200 : 404;
    storageRequests.push({ path: req.url ?? '', authorization, status });
    if (status === 400) return send(res, 400, '<Error><Code>InvalidAuthenticationInfo</Code></Error>', { 'Content-Type': 'application/xml' });
    send(res, status, blob ?? '', { 'Content-Type': 'application/octet-stream' });
  });
  const storagePort = await listen(storage);

  const registry = http.createServer();
  const port = await listen(registry);
  const host = `127.0.0.1:${port}`;
  const challenge = (scope?: string): string => `Bearer realm="http://${host}/oauth2/token",service="${host}"${scope ? `,scope="${scope}"` : ''}`;
  const issueAccess = (scope: string): string => {
    const exp = nowSeconds() + 1200;
    const token = jwt({ aud: host, exp, access: scope });
    accessTokens.set(token, { scope, exp });
    return token;
  };

  const oauthToken = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    let grantType: string | undefined;
    let scope: string;
    let refresh: string | undefined;
    if (req.method === 'POST') {
      const form = await readBody(req);
      grantType = form.get('grant_type') ?? undefined;
      scope = form.get('scope') ?? '';
      refresh = grantType === 'refresh_token' ? (form.get('refresh_token') ?? undefined) : undefined;
    } else {
      scope = url.searchParams.getAll('scope').join(' ');
      const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
      if (basic.startsWith('00000000-0000-0000-0000-000000000000:')) refresh = basic.slice(basic.indexOf(':') + 1);
    }
    const ok = refresh !== undefined && refreshTokens.has(refresh) && ((JSON.parse(Buffer.from(refresh.split('.')[1] ?? '', 'base64url').toString()) as { exp: number }).exp > nowSeconds());
    tokenRequests.push({ method: req.method ?? '', grantType, scope, status: ok ? 200 : 401 });
    if (!ok) return send(res, 401, '{"errors":[{"code":"UNAUTHORIZED","message":"invalid refresh token"}]}');
    // ACR answers only access_token: no expires_in, the expiry is the JWT's exp.
    send(res, 200, JSON.stringify({ access_token: issueAccess(scope) }), { 'Content-Type': 'application/json' });
  };

  const exchange = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const form = await readBody(req);
    const ok = form.get('grant_type') === 'access_token' && form.get('service') === host && form.get('access_token') === aadToken;
    exchangeRequests.push({ tenant: form.get('tenant') ?? undefined, status: ok ? 200 : 401 });
    if (!ok) return send(res, 401, '{"error":"invalid_grant"}');
    send(res, 200, JSON.stringify({ refresh_token: issueRefreshToken() }), { 'Content-Type': 'application/json' });
  };

  const api = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    const scope = match ? `repository:${match[1]}:pull` : undefined;
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const grant = accessTokens.get(bearer);
    if (!grant || grant.exp <= nowSeconds() || (scope && !grant.scope.split(' ').includes(scope))) {
      return send(res, 401, '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', { 'WWW-Authenticate': challenge(scope) });
    }
    if (!match || match[1] !== repository) return send(res, 404, '{"errors":[{"code":"NAME_UNKNOWN","message":"repository not found"}]}');
    if (match[2] === 'manifests') {
      if (match[3] !== 'v1' && match[3] !== sha256(manifestBytes)) return send(res, 404, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}');
      const headers = { 'Content-Type': mediaType, 'Docker-Content-Digest': sha256(manifestBytes) };
      if (req.method === 'HEAD') return (res.writeHead(200, { ...headers, 'Content-Length': manifestBytes.length }), void res.end());
      return send(res, 200, manifestBytes, headers);
    }
    const location = `http://127.0.0.1:${storagePort}/${encodeURIComponent(match[3] ?? '')}?sv=2021&sig=${crypto.randomBytes(8).toString('hex')}`;
    send(res, 307, '', { Location: location });
  };

  registry.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const pathname = (req.url ?? '').split('?')[0];
    const handler = pathname === '/oauth2/token' ? oauthToken(req, res) : pathname === '/oauth2/exchange' ? exchange(req, res) : Promise.resolve(api(req, res));
    handler.catch((err: unknown) => send(res, 500, String(err)));
  });

  function issueRefreshToken(ttlSeconds = 3 * 3600): string {
    const token = jwt({ aud: host, exp: nowSeconds() + ttlSeconds, grant_type: 'refresh_token' });
    refreshTokens.add(token);
    return token;
  }

  const close = (server: http.Server): Promise<void> => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return {
    url: `http://${host}`, host, repository, tokenRequests, exchangeRequests, storageRequests, issueRefreshToken, aadToken,
    manifest: { digest: sha256(manifestBytes), bytes: manifestBytes, mediaType }, layer,
    stop: async () => {
      await close(registry);
      await close(storage);
    },
  };
}

/** A fake instance-metadata endpoint: the AAD token for `Metadata: true` requests on the token path. */
export async function startFakeImds(aadToken: string): Promise<{ url: string; requests: Array<{ metadata?: string; clientId?: string }>; stop(): Promise<void> }> {
  const requests: Array<{ metadata?: string; clientId?: string }> = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://imds');
    const metadata = req.headers.metadata as string | undefined;
    requests.push({ metadata, clientId: url.searchParams.get('client_id') ?? undefined });
    const ok = url.pathname === '/metadata/identity/oauth2/token' && metadata === 'true' && url.searchParams.get('resource') === 'https://management.azure.com/';
    send(res, ok ? 200 : 400, ok ? JSON.stringify({ access_token: aadToken, token_type: 'Bearer' }) : '{"error":"invalid_request"}', { 'Content-Type': 'application/json' });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`, requests,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * Writes a fake `az` into `dir` (put it first on PATH): it prints `output`
 * and exits with `exitCode`, appending its arguments to `<dir>/az.calls`.
 */
export function writeFakeAz(dir: string, output: string, exitCode = 0, stderr = ''): { calls(): string[] } {
  fs.mkdirSync(dir, { recursive: true });
  const calls = path.join(dir, 'az.calls');
  const script = `#!/bin/sh\necho "$*" >> '${calls}'\nprintf '%s' '${stderr}' >&2\nprintf '%s\\n' '${output}'\nexit ${exitCode}\n`;
  fs.writeFileSync(path.join(dir, 'az'), script, { mode: 0o755 });
  return { calls: () => (fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').split('\n').filter((l) => l !== '') : []) };
}
