import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LargeReadAgent } from '../../../lib/upstream/agent';

// 12 MiB of varied bytes: many 1 MiB reads, and a body chunk boundary nowhere in particular.
const body = Buffer.from(Array.from({ length: 12 * 1024 * 1024 + 12345 }, (_, i) => (i * 131 + (i >> 10)) & 0xff));
const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
let server: http.Server;
let url = '';
const agent = new LargeReadAgent({ keepAlive: true });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.setHeader('Content-Length', body.length);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  agent.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function get(through: http.Agent = agent): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => http.get(url, { agent: through }, resolve).once('error', reject));
}

async function read(res: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('LargeReadAgent', () => {
  it('delivers every byte intact to concurrent responses sharing the read buffer', async () => {
    const responses = await Promise.all([get(), get(), get()]);
    const bodies = await Promise.all(responses.map(read));
    for (const got of bodies) expect(digest(got)).toBe(digest(body));
  });

  it('reuses its keep-alive connection for the next request', async () => {
    await read(await get());
    const second = await get();
    expect((second as http.IncomingMessage & { req: http.ClientRequest }).req.reusedSocket).toBe(true);
    expect(digest(await read(second))).toBe(digest(body));
  });

  it('stops reading the socket while the response body is not consumed', async () => {
    const fresh = new LargeReadAgent({ keepAlive: false });
    const res = await get(fresh);
    res.pause();
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Backpressure: the body waits in the kernel and on the server, not in this process.
    expect(res.readableLength).toBeLessThan(4 * 1024 * 1024);
    expect(res.socket.bytesRead).toBeLessThan(body.length / 2);
    expect(digest(await read(res))).toBe(digest(body));
    fresh.destroy();
  });
});
