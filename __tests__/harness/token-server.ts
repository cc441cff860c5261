import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from './binaries';
import { parseScopes, signJwt, type AccessEntry, type KeyHint } from './jwt';

/** Settings a test may change while the server runs (they apply to the next request). */
export interface TokenServerSettings {
  /** What an anonymous request gets: pull on repositories, or nothing (a private registry). */
  anonymous: 'pull' | 'none';
  /** Lifetime of issued access tokens, in seconds. */
  ttlSeconds: number;
  header: KeyHint;
  /** Repositories no one (not even a known user) gets any access to. */
  denied: string[];
}

/** Options for {@link startTokenServer}. */
export interface TokenServerOptions extends Partial<TokenServerSettings> {
  /** Directory for the key and certificate (created). */
  dir: string;
  issuer?: string;
  service?: string;
  /** username → password. */
  users?: Record<string, string>;
}

/** One request the token server answered, for asserting how often a client asked. */
export interface TokenRequest {
  method: string;
  /** The requested scopes, space-joined in request order ('' when none). */
  scope: string;
  /** OAuth2 grant type of a POST; undefined for the GET flow. */
  grantType?: string;
  /** Authenticated user; undefined for anonymous or rejected requests. */
  user?: string;
  service?: string;
  status: number;
}

/** A running token server; see {@link startTokenServer}. */
export interface TokenServer {
  /** `http://127.0.0.1:PORT/token`, the realm the registry advertises. */
  readonly realm: string;
  readonly port: number;
  readonly issuer: string;
  readonly service: string;
  /** PEM certificate the registry trusts (auth.token.rootcertbundle). */
  readonly certPath: string;
  readonly settings: TokenServerSettings;
  /** Every request so far, oldest first. */
  readonly requests: TokenRequest[];
  /** Signs a token directly, bypassing HTTP (e.g. to craft an expired one). */
  issue(user: string | undefined, access: AccessEntry[], ttlSeconds?: number): string;
  stop(): Promise<void>;
}

interface Grant {
  status: number;
  user?: string;
  body: Record<string, unknown>;
}

async function ensureKeyPair(dir: string, issuer: string): Promise<{ keyPath: string; certPath: string }> {
  fs.mkdirSync(dir, { recursive: true });
  const keyPath = path.join(dir, 'token-key.pem');
  const certPath = path.join(dir, 'token-cert.pem');
  if (!fs.existsSync(certPath)) {
    // Node can make the key but not an X.509 certificate; Distribution needs one in rootcertbundle.
    await promisify(execFile)(findBinary('openssl'), [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3650',
      '-subj', `/CN=${issuer}`, '-keyout', keyPath, '-out', certPath,
    ]);
  }
  return { keyPath, certPath };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function basicAuth(req: http.IncomingMessage): { user: string; password: string } | undefined {
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString();
  const colon = decoded.indexOf(':');
  return colon < 0 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Starts an in-process Docker token server (distribution docs/spec/auth/token.md
 * and oauth.md) on an ephemeral 127.0.0.1 port. GET /token takes optional Basic
 * auth; POST /token takes the OAuth2 form with grant_type password or
 * refresh_token, and hands out a refresh token when `access_type=offline`.
 * Authenticated users get every action they ask for, except on `denied` repositories.
 */
export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const issuer = opts.issuer ?? 'lifec-test-issuer';
  const service = opts.service ?? 'lifec-test-registry';
  const users = new Map(Object.entries(opts.users ?? {}));
  const settings: TokenServerSettings = {
    anonymous: opts.anonymous ?? 'pull',
    denied: opts.denied ?? [],
    ttlSeconds: opts.ttlSeconds ?? 300,
    header: opts.header ?? 'kid',
  };
  const { keyPath, certPath } = await ensureKeyPair(opts.dir, issuer);
  const key = crypto.createPrivateKey(fs.readFileSync(keyPath));
  const cert = new crypto.X509Certificate(fs.readFileSync(certPath));
  const refreshTokens = new Map<string, string>();
  const requests: TokenRequest[] = [];

  const issue = (user: string | undefined, access: AccessEntry[], ttl = settings.ttlSeconds): string => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer, sub: user ?? '', aud: service, exp: now + ttl, nbf: now - 1, iat: now,
      jti: crypto.randomBytes(16).toString('hex'), access,
    };
    return signJwt(claims, key, cert, settings.header);
  };

  const grant = (user: string | undefined, scopes: AccessEntry[], offline: boolean): Grant => {
    const access = scopes.map((s) => ({
      ...s,
      actions: s.type === 'repository' && settings.denied.includes(s.name) ? []
        : user !== undefined ? s.actions
        : settings.anonymous === 'pull' && s.type === 'repository' ? s.actions.filter((a) => a === 'pull') : [],
    }));
    const token = issue(user, access);
    const body: Record<string, unknown> = {
      token, access_token: token, expires_in: settings.ttlSeconds, issued_at: new Date().toISOString(),
    };
    if (offline && user !== undefined) {
      const refresh = crypto.randomBytes(24).toString('hex');
      refreshTokens.set(refresh, user);
      body.refresh_token = refresh;
    }
    return { status: 200, user, body };
  };

  const handle = async (req: http.IncomingMessage): Promise<Grant & { record: Omit<TokenRequest, 'status'> }> => {
    const url = new URL(req.url ?? '/', 'http://token');
    if (url.pathname !== '/token') return { status: 404, body: { error: 'not found' }, record: { method: req.method ?? '', scope: '' } };
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      const scope = form.getAll('scope').join(' ');
      const grantType = form.get('grant_type') ?? '';
      const record = { method: 'POST', scope, grantType, service: form.get('service') ?? undefined };
      let user: string | undefined;
      if (grantType === 'password') {
        const name = form.get('username') ?? '';
        if (users.get(name) !== form.get('password')) return { status: 401, body: { error: 'invalid_grant' }, record };
        user = name;
      } else if (grantType === 'refresh_token') {
        user = refreshTokens.get(form.get('refresh_token') ?? '');
        if (user === undefined) return { status: 401, body: { error: 'invalid_grant' }, record };
      } else {
        return { status: 400, body: { error: 'unsupported_grant_type' }, record };
      }
      return { ...grant(user, parseScopes([scope]), form.get('access_type') === 'offline'), record };
    }
    const scope = url.searchParams.getAll('scope').join(' ');
    const record = { method: req.method ?? '', scope, service: url.searchParams.get('service') ?? undefined };
    const basic = basicAuth(req);
    if (basic !== undefined && users.get(basic.user) !== basic.password) {
      return { status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: 'invalid credentials' }] }, record };
    }
    // The Docker spec names the GET flag offline_token; accept access_type too for symmetry.
    const offline = url.searchParams.get('offline_token') === 'true' || url.searchParams.get('access_type') === 'offline';
    return { ...grant(basic?.user, parseScopes([scope]), offline), record };
  };

  const server = http.createServer((req, res) => {
    handle(req).then(
      (result) => {
        requests.push({ ...result.record, user: result.status === 200 ? result.user : undefined, status: result.status });
        const body = JSON.stringify(result.body);
        res.writeHead(result.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      },
      (err: unknown) => {
        res.writeHead(500).end(String(err));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('token server has no TCP address');

  return {
    realm: `http://127.0.0.1:${address.port}/token`,
    port: address.port,
    issuer,
    service,
    certPath,
    settings,
    requests,
    issue,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
