import fs from 'node:fs';
import http from 'node:http';

/** A request body: bytes, or a file streamed from disk (never read into memory). */
export type RequestBody = Buffer | { path: string; size: number };

/** A fully read response. */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One plain-HTTP request with the body collected (fine for the small answers tests read). */
export function httpRequest(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: RequestBody,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const length = body === undefined ? 0 : Buffer.isBuffer(body) ? body.length : body.size;
    const req = http.request(url, {
      method,
      // A fresh connection per request keeps the harness free of pooled sockets at exit.
      agent: false,
      headers: { ...headers, ...(body !== undefined || method === 'PUT' || method === 'POST' ? { 'Content-Length': String(length) } : {}) },
    });
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else fs.createReadStream(body.path).once('error', reject).pipe(req);
  });
}
