import express from 'express';
import request from 'supertest';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { captureLogger } from '../helpers/log-capture';
import { basicRunmd, startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

let first: FakeUpstream;
let second: FakeUpstream;
let mirror: MirrorRouter;
let app: express.Express;
const log = captureLogger('info');

beforeAll(async () => {
  const tags = (): Promise<FakeUpstream> =>
    startFakeUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"name":"team/app","tags":["v1"]}');
    });
  first = await tags();
  second = await tags();
  mirror = createMirror({ runmd: basicRunmd([first.url, second.url]), logger: log.logger });
  app = express().use(mirror);
});

afterAll(async () => {
  await mirror.close();
  await first.close();
  await second.close();
});

const parsed = (): Array<Record<string, unknown>> =>
  log.text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');

/** The access log lines, parsed, once there are `count` of them (a line is written when the response closes). */
async function accessLines(count: number): Promise<Array<Record<string, unknown>>> {
  while (parsed().length < count) await new Promise((resolve) => setTimeout(resolve, 10));
  return parsed();
}

describe('access log', () => {
  test('names the upstream each request went to and the shape that chose it', async () => {
    const segment = second.host.replace(':', '_');
    expect((await request(app).get(`/v2/${segment}/team/app/tags/list`)).status).toBe(200);
    expect((await request(app).get('/v2/team/app/tags/list')).status).toBe(200);
    expect((await request(app).get(`/v2/team/app/tags/list?ns=${second.host}`)).status).toBe(200);
    const lines = await accessLines(3);
    expect(lines.map((l) => [l.path, l.upstream, l.shape, l.status])).toEqual([
      [`/v2/${segment}/team/app/tags/list`, second.host, 'path', 200],
      ['/v2/team/app/tags/list', first.host, 'default', 200],
      ['/v2/team/app/tags/list', second.host, 'ns', 200],
    ]);
  });

  test('a request refused before any upstream was chosen names none', async () => {
    const before = parsed().length;
    expect((await request(app).get('/v2/team/app/tags/list?ns=unknown.example')).status).toBe(404);
    const line = (await accessLines(before + 1))[before];
    expect(line).toMatchObject({ status: 404, ns: 'unknown.example' });
    expect(line).not.toHaveProperty('upstream');
  });
});
