import express from 'express';
import request from 'supertest';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { basicRunmd, startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

/** The order an upstream that sorts by bytes (Distribution 2.8) would send: upper case first. */
const UPSTREAM_TAGS = ['B', 'a', 'v10', 'v2', 'C1', 'latest', 'c0'];
const LEXICAL = ['a', 'B', 'c0', 'C1', 'latest', 'v10', 'v2'];

let ignoring: FakeUpstream;
let paging: FakeUpstream;
let mirror: MirrorRouter;
let app: express.Express;

beforeAll(async () => {
  // Ignores n and last, as Distribution 2.8 does.
  ignoring = await startFakeUpstream((req, res) => {
    if (req.url?.startsWith('/v2/missing/')) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry","detail":null}]}');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', ETag: '"upstream"' });
    res.end(JSON.stringify({ name: 'library/redis', tags: UPSTREAM_TAGS }));
  });
  // Honours n itself and links its own next page.
  paging = await startFakeUpstream((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', Link: '</v2/library/redis/tags/list?last=b&n=2>; rel="next"' });
    res.end(JSON.stringify({ name: 'library/redis', tags: ['b', 'a'] }));
  });
  mirror = createMirror({ runmd: basicRunmd([ignoring.url, paging.url]) });
  app = express().use(mirror);
});

afterAll(async () => {
  await mirror.close();
  await ignoring.close();
  await paging.close();
});

const list = (query = '', ns = ignoring.host) => request(app).get(`/v2/library/redis/tags/list?ns=${encodeURIComponent(ns)}${query}`);

describe('tag lists', () => {
  it('answers in lexical (case-insensitive) order whatever order the upstream sends', async () => {
    const res = await list();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ name: 'library/redis', tags: LEXICAL });
    expect(res.headers.link).toBeUndefined();
    expect(res.headers.etag).toBeUndefined();
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(res.body)));
  });

  it('applies n itself, with a Link to the next page through the mirror, when the upstream ignores it', async () => {
    const res = await list('&n=3');
    expect(res.body.tags).toEqual(['a', 'B', 'c0']);
    expect(ignoring.requests[ignoring.requests.length - 1]?.url).toBe('/v2/library/redis/tags/list?n=3');
    expect(res.headers.link).toBe(`</v2/library/redis/tags/list?n=3&last=c0&ns=${encodeURIComponent(ignoring.host)}>; rel="next"`);
  });

  it('follows its own Link pages to the end, every tag once, in order', async () => {
    const seen: string[] = [];
    let path: string | undefined = `/v2/library/redis/tags/list?n=2&ns=${encodeURIComponent(ignoring.host)}`;
    for (let pages = 0; path !== undefined; pages++) {
      expect(pages).toBeLessThan(10);
      const res = await request(app).get(path);
      seen.push(...(res.body.tags as string[]));
      path = /^<([^>]+)>; rel="next"$/.exec(res.headers.link ?? '')?.[1];
    }
    expect(seen).toEqual(LEXICAL);
  });

  it('applies last: only tags after it, in lexical order', async () => {
    const res = await list('&last=C1');
    expect(res.body.tags).toEqual(['latest', 'v10', 'v2']);
    expect(res.headers.link).toBeUndefined();
    const page = await list('&last=b&n=2');
    expect(page.body.tags).toEqual(['c0', 'C1']);
    expect(page.headers.link).toMatch(/last=C1/);
  });

  it('answers n=0 with an empty list and no Link', async () => {
    const res = await list('&n=0');
    expect(res.status).toBe(200);
    expect(res.body.tags).toEqual([]);
    expect(res.headers.link).toBeUndefined();
  });

  it('keeps the Link of an upstream that paginates itself, and sorts its page', async () => {
    const res = await list('&n=2', paging.host);
    expect(res.body.tags).toEqual(['a', 'b']);
    expect(res.headers.link).toBe(`</v2/library/redis/tags/list?last=b&n=2&ns=${encodeURIComponent(paging.host)}>; rel="next"`);
  });

  it('refuses an n that is not a non-negative integer, without the upstream', async () => {
    const before = ignoring.requests.length;
    for (const n of ['-1', 'x', '1.5', '']) {
      const res = await list(`&n=${n}`);
      expect([n, res.status]).toEqual([n, 400]);
      expect(res.body.errors[0].code).toBe('UNSUPPORTED');
    }
    expect(ignoring.requests.length).toBe(before);
  });

  it('passes an upstream error through unchanged', async () => {
    const res = await request(app).get(`/v2/missing/tags/list?ns=${encodeURIComponent(ignoring.host)}`);
    expect(res.status).toBe(404);
    expect(res.body.errors[0].code).toBe('NAME_UNKNOWN');
  });
});
