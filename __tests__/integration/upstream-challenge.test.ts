import { UpstreamClient } from '../../lib/upstream/client';
import { type Authorizer, type UpstreamRequest } from '../../lib/upstream/exchange';
import { DEFAULT_TIMEOUTS } from '../../lib/upstream/upstream';
import { startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

let storage: FakeUpstream;
let registry: FakeUpstream;

beforeAll(async () => {
  storage = await startFakeUpstream((_req, res) => {
    res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="https://attacker.example/token",service="x"' });
    res.end();
  });
  registry = await startFakeUpstream((req, res) => {
    if (req.url?.startsWith('/v2/a/blobs/')) {
      res.writeHead(307, { Location: `${storage.url}/blob` });
      res.end();
      return;
    }
    res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="http://127.0.0.1:1/token",service="reg"' });
    res.end();
  });
});
afterAll(async () => {
  await storage.close();
  await registry.close();
});

function spyAuthorizer(onUnauthorized: Authorizer['onUnauthorized']): Authorizer & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    authorize: async () => undefined,
    onUnauthorized: async (request: UpstreamRequest, response) => {
      seen.push(response.url);
      return onUnauthorized(request, response);
    },
  };
}

const client = () => new UpstreamClient({ host: registry.host, origin: registry.url, isDefault: true, timeouts: DEFAULT_TIMEOUTS });

describe('401 challenges', () => {
  it("never lets a redirect target's 401 reach the authorizer: its realm is not the registry's", async () => {
    const authorizer = spyAuthorizer(async () => true);
    const response = await client().send({ method: 'GET', path: `/v2/a/blobs/sha256:${'e'.repeat(64)}` }, authorizer);
    response.body.resume();
    expect(response.status).toBe(401);
    expect(response.url).toBe(`${storage.url}/blob`);
    expect(authorizer.seen).toEqual([]);
  });

  it("hands the registry's own 401 to the authorizer", async () => {
    const authorizer = spyAuthorizer(async () => false);
    const response = await client().send({ method: 'GET', path: '/v2/a/manifests/v1' }, authorizer);
    response.body.resume();
    expect(response.status).toBe(401);
    expect(authorizer.seen).toEqual([`${registry.url}/v2/a/manifests/v1`]);
  });

  it('passes on an authorizer failure (e.g. an unreadable challenge)', async () => {
    const authorizer = spyAuthorizer(async () => {
      throw new Error('unreadable challenge');
    });
    await expect(client().send({ method: 'GET', path: '/v2/a/manifests/v1' }, authorizer)).rejects.toThrow('unreadable challenge');
  });
});
