import http from 'node:http';
import { listenOnLoopback } from './upstream-server';

/** What the proxy does to the requests a fault applies to. */
export type Fault =
  | { kind: 'cut'; afterBytes: number }
  | { kind: 'corrupt'; atByte: number }
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'stall' }
  /** The body flows at about this rate (a slow registry, so a test can act mid-body). */
  | { kind: 'slow'; bytesPerSecond: number }
  | { kind: 'down' };

/** A request the proxy saw, with the fault it applied. */
export interface ProxiedRequest {
  method: string;
  url: string;
  range?: string;
  fault?: Fault['kind'];
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`: what the mirror's `.mirror` and containerd's image references name. */
  host: string;
  url: string;
  requests: ProxiedRequest[];
  /** Applies `fault` to requests whose path matches `match`, `times` times (default: until cleared). */
  inject(fault: Fault, match?: RegExp, times?: number): void;
  clear(): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy between the mirror and a real registry that injects what a
 * healthy registry never does: a body cut mid-way, corrupted bytes, 5xx/429,
 * a stall, a refused connection. Everything else passes through unchanged.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const requests: ProxiedRequest[] = [];
  let active: { fault: Fault; match: RegExp; left: number } | undefined;
  const sockets = new Set<import('node:net').Socket>();
  const take = (path: string): Fault | undefined => {
    if (!active || !active.match.test(path)) return undefined;
    const { fault } = active;
    active.left -= 1;
    if (active.left <= 0) active = undefined;
    return fault;
  };

  const server = http.createServer((req, res) => {
    const fault = take(req.url ?? '/');
    requests.push({ method: req.method ?? '', url: req.url ?? '', range: req.headers.range, fault: fault?.kind });
    if (fault?.kind === 'down') return void req.socket.destroy();
    if (fault?.kind === 'stall') return;
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'Content-Type': 'application/json', ...fault.headers });
      return void res.end('{"errors":[{"code":"UNAVAILABLE","message":"injected","detail":null}]}');
    }
    const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      let offset = 0;
      answer.on('data', (chunk: Buffer) => {
        let out = chunk;
        if (fault?.kind === 'corrupt' && fault.atByte >= offset && fault.atByte < offset + chunk.length) {
          out = Buffer.from(chunk);
          out[fault.atByte - offset] = (out[fault.atByte - offset] ?? 0) ^ 0xff;
        }
        if (fault?.kind === 'cut' && offset + chunk.length > fault.afterBytes) {
          res.write(chunk.subarray(0, Math.max(0, fault.afterBytes - offset)), () => res.destroy());
          answer.destroy();
          return;
        }
        offset += chunk.length;
        if (fault?.kind === 'slow') {
          res.write(out);
          answer.pause();
          setTimeout(() => !res.destroyed && answer.resume(), (chunk.length * 1000) / fault.bytesPerSecond);
          return;
        }
        if (!res.write(out)) answer.pause();
      });
      res.on('drain', () => fault?.kind !== 'slow' && answer.resume());
      // The client left (a killed mirror): stop reading the registry for it.
      res.on('close', () => !answer.complete && answer.destroy());
      answer.on('end', () => res.end());
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    ...(await listenOnLoopback(server)),
    requests,
    inject: (fault, match = /./, times = Number.POSITIVE_INFINITY) => {
      active = { fault, match, left: times };
    },
    clear: () => {
      active = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
