import express from 'express';
import request from 'supertest';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { basicRunmd, startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

/** A registry that names itself in every tag list, so a test sees which upstream answered. */
function tagsUpstream(label: string): Promise<FakeUpstream> {
  const upstream: Promise<FakeUpstream> = startFakeUpstream((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const match = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    if (!match) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"unknown","detail":null}]}');
      return;
    }
    // Quay writes its next-page link as an absolute URL on its own origin; Distribution writes a path.
    void upstream.then((self) => {
      const base = url.searchParams.has('absolute') ? self.url : '';
      res.writeHead(200, { 'Content-Type': 'application/json', Link: `<${base}/v2/${match[1]}/tags/list?last=a&n=1>; rel="next"` });
      res.end(JSON.stringify({ name: match[1], tags: [label] }));
    });
  });
  return upstream;
}

let first: FakeUpstream;
let second: FakeUpstream;
let mirror: MirrorRouter;
let app: express.Express;
/** The second registry as podman writes it in a path: `_` for `:`. */
let secondSegment: string;

beforeAll(async () => {
  first = await tagsUpstream('first');
  second = await tagsUpstream('second');
  secondSegment = second.host.replace(':', '_');
  mirror = createMirror({ runmd: basicRunmd([first.url, second.url]) });
  app = express().use(mirror);
});

afterAll(async () => {
  await mirror.close();
  await first.close();
  await second.close();
});

beforeEach(() => {
  first.requests.length = 0;
  second.requests.length = 0;
});

describe('request shapes', () => {
  it('shape 1: ?ns= selects the registry and the Link keeps ns', async () => {
    const res = await request(app).get(`/v2/team/app/tags/list?ns=${second.host}`);
    expect(res.status).toBe(200);
    expect(res.body.tags).toEqual(['second']);
    expect(second.requests[0]?.url).toBe('/v2/team/app/tags/list');
    expect(res.headers.link).toBe(`</v2/team/app/tags/list?last=a&n=1&ns=${encodeURIComponent(second.host)}>; rel="next"`);
  });

  it.each([
    ['the _ form', () => secondSegment],
    ['the : form', () => second.host],
  ])('shape 2: /v2/<registry>/<repo> in %s selects that registry and the Link keeps the path', async (_form, segment) => {
    const res = await request(app).get(`/v2/${segment()}/team/app/tags/list`);
    expect(res.status).toBe(200);
    expect(res.body.tags).toEqual(['second']);
    expect(second.requests[0]?.url).toBe('/v2/team/app/tags/list');
    expect(res.headers.link).toBe(`</v2/${segment()}/team/app/tags/list?last=a&n=1>; rel="next"`);
  });

  it('shape 2: an undeclared first segment stays in the repository name on the default registry', async () => {
    const res = await request(app).get('/v2/quay.io/team/app/tags/list');
    expect(res.status).toBe(200);
    expect(res.body.tags).toEqual(['first']);
    expect(first.requests[0]?.url).toBe('/v2/quay.io/team/app/tags/list');
    expect(second.requests).toHaveLength(0);
  });

  it('shape 3: /<registry>/v2/<repo> selects that registry, with ns, and the Link keeps the prefix', async () => {
    const res = await request(app).get(`/${second.host}/v2/team/app/tags/list?ns=${second.host}`);
    expect(res.status).toBe(200);
    expect(res.body.tags).toEqual(['second']);
    expect(second.requests[0]?.url).toBe('/v2/team/app/tags/list');
    expect(res.headers.link).toBe(`</${second.host}/v2/team/app/tags/list?last=a&n=1&ns=${encodeURIComponent(second.host)}>; rel="next"`);
  });

  it('shape 3: the _ form of a prefix works too', async () => {
    const res = await request(app).get(`/${secondSegment}/v2/team/app/tags/list`);
    expect(res.body.tags).toEqual(['second']);
  });

  it.each([
    ['ns', () => `/v2/team/app/tags/list?absolute=1&ns=${second.host}`, () => `</v2/team/app/tags/list?last=a&n=1&ns=${encodeURIComponent(second.host)}>; rel="next"`],
    ['the path', () => `/v2/${secondSegment}/team/app/tags/list?absolute=1`, () => `</v2/${secondSegment}/team/app/tags/list?last=a&n=1>; rel="next"`],
    ['the prefix', () => `/${second.host}/v2/team/app/tags/list?absolute=1`, () => `</${second.host}/v2/team/app/tags/list?last=a&n=1>; rel="next"`],
  ])('an absolute Link on the upstream origin (by %s) becomes a mirror path: the client never learns the upstream', async (_by, path, link) => {
    const res = await request(app).get(path());
    expect(res.body.tags).toEqual(['second']);
    expect(res.headers.link).toBe(link());
  });

  it('shape 4: without a hint the default registry answers and the Link is unchanged', async () => {
    const res = await request(app).get('/v2/team/app/tags/list');
    expect(res.body.tags).toEqual(['first']);
    expect(res.headers.link).toBe('</v2/team/app/tags/list?last=a&n=1>; rel="next"');
  });

  it('answers the ping at /v2/ and under a declared prefix, 404 under an undeclared one', async () => {
    expect((await request(app).get('/v2/')).status).toBe(200);
    const prefixed = await request(app).get(`/${secondSegment}/v2/`);
    expect(prefixed.status).toBe(200);
    expect(prefixed.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect((await request(app).head(`/${second.host}/v2/`)).status).toBe(200);
    const undeclared = await request(app).get('/quay.io/v2/');
    expect(undeclared.status).toBe(404);
    expect(undeclared.body.errors[0].code).toBe('NAME_UNKNOWN');
  });

  it('answers 404 NAME_UNKNOWN for an undeclared prefix, without an upstream call', async () => {
    const res = await request(app).get('/evil.example/v2/team/app/tags/list');
    expect(res.status).toBe(404);
    expect(res.body.errors[0].code).toBe('NAME_UNKNOWN');
    expect(first.requests.length + second.requests.length).toBe(0);
  });

  it('answers 400 when ns and the prefix disagree, without an upstream call', async () => {
    const res = await request(app).get(`/${second.host}/v2/team/app/tags/list?ns=${first.host}`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe('NAME_INVALID');
    expect(first.requests.length + second.requests.length).toBe(0);
  });

  it('answers 404 UNSUPPORTED for an unserved API under a declared prefix', async () => {
    const res = await request(app).get(`/${second.host}/v2/_catalog`);
    expect(res.status).toBe(404);
    expect(res.body.errors[0].code).toBe('UNSUPPORTED');
  });
});
