import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, httpRequest, startProcess, waitUntil, type ManagedProcess } from '../harness';
import { makeTempDir, removeTempDir } from '../harness/tempdir';

const run = promisify(execFile);
const BIN = path.join(__dirname, '../../bin/lifec-mirror.js');

/**
 * `lifec-mirror start` as a new user runs it: the built CLI, in an empty
 * directory with no mirror.runmd and no --config. Only the port is chosen
 * (--listen), so the test never binds the fixed 8578. There is no internet
 * here, so every default registry is unreachable: that must fail fast.
 */
describe('lifec-mirror with no config', () => {
  let cwd: string;
  let home: string;
  let port: number;
  let mirror: ManagedProcess;
  const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: cwd, LIFEC_MIRROR_HOME: home });
  const url = (p: string): string => `http://127.0.0.1:${port}${p}`;

  beforeAll(async () => {
    cwd = makeTempDir('zero-config');
    home = path.join(makeTempDir('zero-config-home'), 'state');
    port = await freePort();
    const logPath = path.join(path.dirname(home), 'mirror.log');
    mirror = startProcess({ name: 'lifec-mirror', command: process.execPath, args: [BIN, 'start', '--listen', `127.0.0.1:${port}`], logPath, cwd, env: env() });
    await mirror.waitForPort(port, 60_000);
    await waitUntil('the start line', () => fs.readFileSync(logPath, 'utf8').includes('serving the built-in default'), 30_000);
  }, 90_000);

  afterAll(async () => {
    await mirror?.stop();
    removeTempDir(cwd);
    removeTempDir(path.dirname(home));
  });

  it('serves /v2/ and /healthz', async () => {
    const ping = await httpRequest('GET', url('/v2/'));
    expect(ping.status).toBe(200);
    expect(ping.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect((await httpRequest('GET', url('/healthz'))).status).toBe(200);
  });

  it('answers 404 NAME_UNKNOWN for an undeclared ns, and for an undeclared registry prefix', async () => {
    for (const p of ['/v2/library/redis/manifests/7?ns=registry.example', '/registry.example/v2/library/redis/manifests/7']) {
      const res = await httpRequest('GET', url(p));
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body.toString()).errors[0].code).toBe('NAME_UNKNOWN');
    }
  });

  it.each([
    ['docker.io, by default', '/v2/library/redis/manifests/7'],
    ['ghcr.io, by ns', '/v2/owner/app/manifests/1?ns=ghcr.io'],
    ['quay.io, in the path', '/v2/quay.io/owner/app/manifests/1'],
    ['registry.k8s.io, by prefix', '/registry.k8s.io/v2/pause/manifests/3.9'],
  ])('fails fast with a 5xx OCI error for an unreachable %s', async (_what, p) => {
    // Bounded well above the 5 s connect timeout (and its retries) but below
    // the 30 s headers timeout: an answer within it is not a hang.
    const res = await Promise.race([
      httpRequest('GET', url(p)),
      new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('no answer within 25 s: the mirror hangs')), 25_000)),
    ]);
    expect([502, 503, 504]).toContain(res.status);
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe('UNAVAILABLE');
  }, 40_000);

  it('dump shows the built-in default, and nothing was written outside its home', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'dump'], { cwd, env: env() });
    expect(stdout.split('\n')[0]).toBe('(built-in default)');
    for (const host of ['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io', 'mcr.microsoft.com', 'public.ecr.aws', 'gcr.io']) {
      expect(stdout).toContain(`.mirror ${host}\n`);
    }
    expect(fs.readdirSync(cwd)).toEqual([]);
    expect(fs.existsSync(home)).toBe(true);
  });
});
