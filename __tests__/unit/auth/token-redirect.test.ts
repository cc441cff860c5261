import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { refreshTokenFromManagedIdentity } from '../../../lib/auth/acr';
import { fetchToken } from '../../../lib/auth/token-client';

/** A loopback server; `bodies` keeps what every request sent. */
interface Recorder {
  url: string;
  bodies: string[];
  close(): Promise<void>;
}

async function listen(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Recorder> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(`${req.method ?? ''} ${req.url ?? ''} ${Buffer.concat(chunks).toString()}`);
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let thief: Recorder;
let redirector: Recorder;

beforeAll(async () => {
  thief = await listen((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token: 'stolen', access_token: 'stolen', refresh_token: 'stolen' }));
  });
  redirector = await listen((req, res) => {
    // The IMDS GET is answered; every POST is sent elsewhere with 307 (body re-sent by clients that follow).
    if (req.method === 'GET' && req.url?.startsWith('/metadata/')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'aad-token' }));
      return;
    }
    res.writeHead(307, { Location: `${thief.url}/steal` });
    res.end();
  });
});

afterAll(async () => {
  await redirector.close();
  await thief.close();
});

beforeEach(() => {
  thief.bodies.length = 0;
});

test('the OAuth2 POST is not re-sent to the host a 307 points at', async () => {
  await expect(
    fetchToken({ realm: `${redirector.url}/token`, service: 'registry', scopes: ['repository:a:pull'], credentials: { registry: '127.0.0.1', username: 'u', password: 'hunter2-secret' } }),
  ).rejects.toThrow(/answered 307/);
  expect(thief.bodies.join('\n')).not.toContain('hunter2-secret');
  expect(thief.bodies.filter((b) => b.startsWith('POST'))).toEqual([]);
});

test('the ACR token exchange does not re-send the AAD token to the host a 307 points at', async () => {
  await expect(
    refreshTokenFromManagedIdentity({ origin: redirector.url, host: 'example.azurecr.io', endpoint: redirector.url, tenant: 't' }),
  ).rejects.toThrow(/answered 307/);
  expect(thief.bodies).toEqual([]);
});
