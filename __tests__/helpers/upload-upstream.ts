import type http from 'node:http';
import type { Socket } from 'node:net';
import { startFakeUpstream, type FakeUpstream } from './upstream-server';

/** A fake registry's upload behaviour, chosen by the first segment of the repository name. */
export interface UploadUpstream extends FakeUpstream {
  /** Tokens the token endpoint issued, in order. */
  tokens: string[];
  /** Bytes the slow upload endpoint has read so far. */
  slowBytes(): number;
  /** The connection each request in `requests` came on, numbered in order of arrival. */
  connections: number[];
  /** Whether a `late/` PATCH has read its whole body and waits for {@link releaseLate}. */
  lateHeld(): boolean;
  /** Answers the held `late/` PATCH. */
  releaseLate(): Promise<void>;
}

const UPLOAD = 'b1d2c3e4-0000-4000-8000-000000000001';
/** Opaque state with characters a decode/encode round trip would change. */
export const OPAQUE_STATE = '_state=abc%2Bdef%3D%3D&x=1+2';

/**
 * A registry for upload behaviours a real one cannot show on demand: Bearer
 * auth with a token endpoint on the same server; repositories under
 * `absolute/` answer with an absolute `Location`, under `relative/` with a
 * relative one, under `offsite/` with one on another host, under `expired/`
 * a PATCH answers 401 (the token was revoked mid-upload), under `redirect/`
 * a POST answers 307 to another host, under `slow/` a
 * PATCH reads its body at about 2 MB/s, and under `late/` a PATCH reads its
 * body and then waits for the test to release its answer.
 */
export async function startUploadUpstream(): Promise<UploadUpstream> {
  const tokens: string[] = [];
  let slow = 0;
  let revoked: string | undefined;
  let self = '';
  const connections: number[] = [];
  const ids = new WeakMap<Socket, number>();
  let count = 0;
  let late: (() => Promise<void>) | undefined;
  const upstream = await startFakeUpstream((req, res) => {
    if (!ids.has(req.socket)) ids.set(req.socket, count++);
    connections.push(ids.get(req.socket)!);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      tokens.push(`token-${tokens.length + 1}`);
      return json(res, 200, { token: tokens[tokens.length - 1], expires_in: 300 });
    }
    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    if (!bearer || !tokens.includes(bearer) || bearer === revoked) {
      req.resume();
      res.setHeader('WWW-Authenticate', `Bearer realm="${self}/token",service="fake"`);
      return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] });
    }
    if (url.pathname === '/v2/') return json(res, 200, {});
    const [, repo = '', kind = ''] = /^\/v2\/(.+)\/blobs\/uploads\/(.*)$/.exec(url.pathname) ?? [];
    const family = repo.split('/')[0];
    if (req.method === 'POST') {
      const paths: Record<string, string> = {
        absolute: `${self}/v2/${repo}/blobs/uploads/${UPLOAD}?${OPAQUE_STATE}`,
        relative: `/v2/${repo}/blobs/uploads/${UPLOAD}?${OPAQUE_STATE}`,
        offsite: `http://registry.invalid/v2/${repo}/blobs/uploads/${UPLOAD}`,
      };
      if (family === 'redirect') return void res.writeHead(307, { Location: `http://registry.invalid${url.pathname}`, 'Content-Length': 0 }).end();
      res.writeHead(202, { Location: paths[family ?? ''] ?? paths.relative, 'Docker-Upload-UUID': UPLOAD, Range: '0-0', 'Content-Length': 0 });
      return res.end();
    }
    if (req.method === 'PATCH' && kind === UPLOAD && family === 'expired') {
      revoked = bearer;
      req.resume();
      res.setHeader('WWW-Authenticate', `Bearer realm="${self}/token",service="fake",error="invalid_token"`);
      return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'token expired', detail: null }] });
    }
    if (req.method === 'PATCH' && family === 'slow') return readSlowly(req, res, (n) => (slow += n));
    if (req.method === 'PATCH' && family === 'late') {
      req.resume();
      req.once('end', () => (late = () => new Promise((resolve) => res.writeHead(202, { Range: '0-0', 'Content-Length': 0 }).end(resolve))));
      return;
    }
    req.resume();
    req.once('end', () => {
      res.writeHead(202, { Location: `/v2/${repo}/blobs/uploads/${UPLOAD}?${OPAQUE_STATE}`, Range: '0-0', 'Content-Length': 0 });
      res.end();
    });
  });
  self = upstream.url;
  const releaseLate = async (): Promise<void> => {
    const answer = late;
    late = undefined;
    await answer?.();
  };
  return Object.assign(upstream, { tokens, slowBytes: () => slow, connections, lateHeld: () => late !== undefined, releaseLate });
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads 64 KiB every 30 ms: the client must be held back by backpressure through the mirror. */
function readSlowly(req: http.IncomingMessage, res: http.ServerResponse, count: (bytes: number) => void): void {
  req.pause();
  const timer = setInterval(() => {
    const chunk = (req.read(64 * 1024) ?? req.read()) as Buffer | null;
    if (chunk) count(chunk.length);
    else if (req.readableEnded) {
      clearInterval(timer);
      res.writeHead(202, { 'Content-Length': 0 }).end();
    }
  }, 30);
  req.once('close', () => clearInterval(timer));
}
