// autocannon ships no types: this is the part of its API the bench uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: LoadOptions) => LoadInstance;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { HTTPParser } = require('http-parser-js') as { HTTPParser: { kOnHeadersComplete: number } };

interface LoadOptions {
  url: string;
  method: string;
  headers: Record<string, string>;
  connections: number;
  duration: number;
  setupClient?: (client: { parser: object }) => void;
}

interface LoadInstance extends Promise<{ requests: { total: number }; errors: number; timeouts: number; non2xx: number; duration: number }> {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}

/** What one load run measured; latencies in milliseconds. */
export interface LoadResult {
  requests: number;
  rps: number;
  latencies: Float64Array;
  errors: number;
  non2xx: number;
}

/**
 * autocannon's parser waits for a HEAD answer's body (its Content-Length);
 * answering "skip the body" from the headers callback, as Node's own client
 * does for HEAD, lets it count HEAD responses.
 */
function skipBodyForHead(client: { parser: object }): void {
  const parser = client.parser as Record<number, (...args: unknown[]) => unknown>;
  let inner: ((...args: unknown[]) => unknown) | undefined;
  Object.defineProperty(parser, HTTPParser.kOnHeadersComplete, {
    configurable: true,
    get: () => (...args: unknown[]) => {
      inner?.apply(parser, args);
      return 1;
    },
    set: (fn: (...args: unknown[]) => unknown) => {
      inner = fn;
    },
  });
}

/**
 * Runs autocannon for `seconds` with `connections` keep-alive connections
 * and keeps every response time (autocannon's own histogram rounds to whole
 * milliseconds, too coarse for an added latency of under 1 ms).
 */
export async function runLoad(url: string, method: 'GET' | 'HEAD', headers: Record<string, string>, connections: number, seconds: number): Promise<LoadResult> {
  const times: number[] = [];
  const instance = autocannon({
    url, method, headers, connections, duration: seconds,
    ...(method === 'HEAD' ? { setupClient: skipBodyForHead } : {}),
  });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) times.push(ms);
  });
  const result = await instance;
  return {
    requests: result.requests.total,
    rps: result.requests.total / seconds,
    latencies: Float64Array.from(times),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
