import http from 'node:http';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { startServer, type RunningServer } from '../../lib/server';
import { silentLogger } from '../../lib/log';
import { basicRunmd, startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

const MANIFEST = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}');
const DIGEST = 'sha256:' + 'a'.repeat(64);

let upstream: FakeUpstream;
let mirror: MirrorRouter;
let server: RunningServer;
/** The client port of every request the upstream saw: one per connection the mirror opened. */
const ports: number[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream((req, res) => {
    ports.push(req.socket.remotePort ?? 0);
    res.writeHead(200, {
      'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
      'Content-Length': MANIFEST.length,
      'Docker-Content-Digest': DIGEST,
    });
    res.end(req.method === 'HEAD' ? undefined : MANIFEST);
  });
  // Without the cache every manifest request goes to the upstream.
  mirror = createMirror({ runmd: basicRunmd([upstream.url]).replace('+ .proxy localhost:0', '+ .proxy localhost:0\n: .cache off') });
  server = await startServer(mirror, silentLogger(), { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server.close(1000);
  await upstream.close();
});

function head(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.request(`${server.url}${path}`, { method: 'HEAD', agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    }).once('error', reject).end();
  });
}

describe('upstream connections', () => {
  it('reuses one keep-alive connection for a series of manifest HEADs', async () => {
    for (let i = 0; i < 20; i++) expect(await head('/v2/library/app/manifests/v1')).toBe(200);
    expect(ports).toHaveLength(20);
    expect(new Set(ports).size).toBe(1);
  });
});
