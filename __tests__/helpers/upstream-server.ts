import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fake upstream saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface FakeUpstream {
  /** `127.0.0.1:PORT`, what `ns` names. */
  host: string;
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Starts `server` on a free loopback port; returns its `host:port` (what `ns` names) and base URL. */
export async function listenOnLoopback(server: http.Server): Promise<{ host: string; url: string }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { host: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}` };
}

/**
 * An in-process HTTP server on a loopback port for behaviours a real registry
 * cannot show on demand (redirects, stalls, broken bodies). It records every
 * request so tests can assert what reached the upstream.
 */
export async function startFakeUpstream(handler: http.RequestListener): Promise<FakeUpstream> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  return {
    ...(await listenOnLoopback(server)),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The runmd of a mirror for one upstream with the base plugins on every route. */
export function basicRunmd(upstreams: string[], extra = ''): string {
  const mirrors = upstreams.map((u) => `: .mirror ${u}\n`).join('');
  return [
    '``` start mirror',
    '+ .runtime',
    mirrors + extra,
    '+ .proxy localhost:0',
    ': .manifests head, get',
    ':   .resolve',
    ': .blobs head, get',
    ':   .pull',
    ': .tags get',
    ':   .pull',
    ': .referrers get',
    ':   .pull',
    '```',
    '',
  ].join('\n');
}
