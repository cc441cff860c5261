import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryAuthorizer } from '../../../lib/auth/authorizer';
import { TokenCache } from '../../../lib/auth/token-cache';
import type { Challenge } from '../../../lib/auth/challenge';
import { DEFAULT_TIMEOUTS, type Upstream } from '../../../lib/upstream/upstream';

/** A token endpoint that answers only once `release` is called, so both waiters share one fetch. */
let server: http.Server;
let realm: string;
let requests = 0;
let release: () => void = () => undefined;
const held = new Promise<void>((resolve) => {
  release = resolve;
});
let received: () => void = () => undefined;
const firstRequest = new Promise<void>((resolve) => {
  received = resolve;
});

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    requests += 1;
    received();
    void held.then(() => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: 'shared-token', expires_in: 300 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});

afterAll(async () => {
  release();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('a waiter whose client left does not fail the shared token fetch of the others', async () => {
  const upstream: Upstream = { host: 'registry.example', origin: 'http://registry.example', isDefault: true, timeouts: DEFAULT_TIMEOUTS };
  const challenge: Challenge = { scheme: 'bearer', params: { realm, service: 'registry.example' } };
  const options = { upstream, repository: 'team/app', tokens: new TokenCache({ now: () => Date.now() }), challenges: new Map([['registry.example', challenge]]) };
  const leaving = new AbortController();
  const first = new RegistryAuthorizer(options).authorize({ method: 'GET', path: '/v2/team/app/manifests/v1', signal: leaving.signal });
  const firstSettled = first.then(
    (value) => ({ ok: true, value }),
    (err: unknown) => ({ ok: false, value: err }),
  );
  await firstRequest;
  const second = new RegistryAuthorizer(options).authorize({ method: 'GET', path: '/v2/team/app/manifests/v1', signal: new AbortController().signal });
  leaving.abort();
  // Give an abort the time to reach the shared fetch before the endpoint answers.
  await new Promise((resolve) => setTimeout(resolve, 200));
  release();
  await expect(second).resolves.toBe('Bearer shared-token');
  expect(requests).toBe(1);
  await firstSettled;
});
