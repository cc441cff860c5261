import { createHash } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import type { Clock } from '../../lib/clock';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { makeTempDir, removeTempDir } from '../harness/tempdir';
import { captureLogger } from '../helpers/log-capture';
import { basicRunmd, startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

const TYPE = 'application/vnd.oci.image.manifest.v1+json';
const manifest = (n: number): Buffer => Buffer.from(`{"schemaVersion":2,"mediaType":"${TYPE}","layers":[],"n":${n}}`);
const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** What each tag points at; tests move tags. */
const tags = new Map<string, Buffer>();
/** How the HEAD of a tag answers, when a test makes the upstream rate limit. */
let limited: { status: number; retryAfter: string } | undefined;
let upstream: FakeUpstream;
let now = 0;
const clock: Clock = { now: () => now };
const log = captureLogger('debug');
let home: string;
let mirror: MirrorRouter;
let app: express.Express;

beforeAll(async () => {
  upstream = await startFakeUpstream((req, res) => {
    const ref = /\/manifests\/([^/?]+)$/.exec(req.url ?? '')?.[1] ?? '';
    const body = ref.startsWith('sha256:') ? [...tags.values()].find((b) => digestOf(b) === ref) : tags.get(ref);
    if (limited) {
      res.writeHead(limited.status, { 'Retry-After': limited.retryAfter, 'Content-Type': 'application/json', 'ratelimit-remaining': '0;w=21600' });
      return void res.end(req.method === 'HEAD' ? undefined : '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down","detail":null}]}');
    }
    if (!body) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown","detail":null}]}');
    res.writeHead(200, { 'Content-Type': TYPE, 'Docker-Content-Digest': digestOf(body), 'Content-Length': body.length, 'ratelimit-remaining': '76;w=21600' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  home = makeTempDir('revalidate');
  mirror = createMirror({ runmd: basicRunmd([upstream.url]), home, clock, logger: log.logger });
  app = express().use(mirror);
});

afterAll(async () => {
  await mirror.close();
  await upstream.close();
  removeTempDir(home);
});

beforeEach(() => {
  upstream.requests.length = 0;
  limited = undefined;
});

/** The manifest requests the upstream saw, as `METHOD reference`. */
const seen = (): string[] => upstream.requests.map((r) => `${r.method} ${r.url.split('/manifests/')[1] ?? r.url}`);
/** Past `.tag_ttl` (30 s by default): every tag must be asked again. */
const expireTags = (): void => void (now += 60_000);

describe('a GET by tag with the cache on', () => {
  it('asks with a HEAD, then GETs by digest once; a revalidation after the TTL is a HEAD alone', async () => {
    tags.set('v1', manifest(1));
    const first = await request(app).get('/v2/app/manifests/v1');
    expect(first.status).toBe(200);
    expect(first.headers['docker-content-digest']).toBe(digestOf(manifest(1)));
    expect(seen()).toEqual(['HEAD v1', `GET ${digestOf(manifest(1))}`]);

    upstream.requests.length = 0;
    expireTags();
    const again = await request(app).get('/v2/app/manifests/v1');
    expect(again.status).toBe(200);
    expect(again.text).toBe(manifest(1).toString());
    expect(seen()).toEqual(['HEAD v1']);
  });

  it('answers a new tag of a cached digest with no GET at all', async () => {
    tags.set('v1-alias', tags.get('v1') ?? manifest(1));
    const res = await request(app).get('/v2/app/manifests/v1-alias');
    expect(res.status).toBe(200);
    expect(seen().filter((s) => s.startsWith('GET'))).toHaveLength(0);
  });

  it('GETs by digest when the tag moved to content the cache lacks', async () => {
    expireTags();
    tags.set('v1', manifest(2));
    const res = await request(app).get('/v2/app/manifests/v1');
    expect(res.headers['docker-content-digest']).toBe(digestOf(manifest(2)));
    expect(seen()).toEqual(['HEAD v1', `GET ${digestOf(manifest(2))}`]);
  });

  it('passes a 404 for an unknown tag with its error body (one GET by tag after the HEAD)', async () => {
    const res = await request(app).get('/v2/app/manifests/missing');
    expect(res.status).toBe(404);
    expect(res.body.errors[0].code).toBe('MANIFEST_UNKNOWN');
    expect(seen()).toEqual(['HEAD missing', 'GET missing']);
  });

  it('serves the stale resolution of a tag when the upstream answers 429', async () => {
    expireTags();
    limited = { status: 429, retryAfter: '3600' };
    const res = await request(app).get('/v2/app/manifests/v1');
    expect(res.status).toBe(200);
    expect(res.headers['lifec-cache']).toBe('stale');
    expect(res.headers['docker-content-digest']).toBe(digestOf(manifest(2)));
    expect(seen()).toEqual(['HEAD v1']);
    // Served, not recorded: the tag is no fresher for it, so the next pull asks again and is still marked stale.
    const again = await request(app).get('/v2/app/manifests/v1');
    expect(again.status).toBe(200);
    expect(again.headers['lifec-cache']).toBe('stale');
    expect(seen()).toEqual(['HEAD v1', 'HEAD v1']);
  });

  it('passes the 429 and its Retry-After when there is nothing stale to serve', async () => {
    limited = { status: 429, retryAfter: '3600' };
    const res = await request(app).get('/v2/app/manifests/never-seen');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('3600');
    expect(res.body.errors[0].code).toBe('TOOMANYREQUESTS');
    expect(seen().filter((s) => s.startsWith('GET'))).toHaveLength(0);
    const head = await request(app).head('/v2/app/manifests/never-seen');
    expect(head.status).toBe(429);
    expect(head.headers['retry-after']).toBe('3600');
  });

  it('shows the upstream ratelimit-remaining as a gauge and logs it at debug', async () => {
    expireTags();
    await request(app).get('/v2/app/manifests/v1');
    const metrics = await mirror.services.metrics.registry.getSingleMetricAsString('lifec_upstream_ratelimit_remaining');
    expect(metrics).toContain(`lifec_upstream_ratelimit_remaining{upstream="${upstream.host}"} 76`);
    expect(log.text()).toMatch(/"remaining":76.*"msg":"upstream pull quota"/);
  });
});
