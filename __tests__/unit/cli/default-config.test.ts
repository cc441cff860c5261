import fs from 'node:fs';
import path from 'node:path';
import { defaultCatalog } from '../../../lib/catalog';
import { DEFAULT_REGISTRIES, defaultHome, renderDefaultRunmd } from '../../../lib/cli/default-runmd';
import { compileRunmd } from '../../../lib/runmd/compile';
import { parseRunmd } from '../../../lib/runmd/parse';
import { httpRequest } from '../../harness/http-request';
import { freePort } from '../../harness/ports';
import { cli, filesUnder, runCli, tempHome } from './cli-helpers';

async function eventually(check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the built-in default', () => {
  let cwd: string;
  let state: string;
  beforeEach(() => {
    cwd = tempHome();
    state = tempHome();
  });
  afterEach(() => {
    fs.rmSync(cwd, { recursive: true, force: true });
    fs.rmSync(state, { recursive: true, force: true });
  });

  test('compiles: the public registries, docker.io the default from registry-1.docker.io, no hosts.toml, every route authenticated', () => {
    const config = compileRunmd(parseRunmd(renderDefaultRunmd(), 'default'), defaultCatalog);
    expect(config.mirrors.map((m) => m.host)).toEqual([...DEFAULT_REGISTRIES]);
    expect(config.mirrors[0]).toMatchObject({ host: 'docker.io', origin: 'https://registry-1.docker.io' });
    expect(config.mirrors[0]?.properties.map((p) => p.name)).toEqual(['default']);
    expect(config.mirrors.slice(1).every((m) => m.properties.length === 0)).toBe(true);
    expect(config.proxy?.address).toBe('localhost:8578');
    expect(config.proxy?.settings).toEqual([]);
    expect(config.proxy?.routes.map((r) => [r.kind, r.plugins.map((p) => p.name)])).toEqual([
      ['manifests', ['authn', 'resolve']], ['blobs', ['authn', 'pull']], ['tags', ['authn', 'pull']], ['referrers', ['authn', 'pull']],
    ]);
  });

  test('start without a file serves it, prints one line, and keeps its state in LIFEC_MIRROR_HOME only', async () => {
    const port = await freePort();
    const home = path.join(state, 'home');
    const run = runCli(cwd, ['--log-level', 'warn', 'start', '--listen', `127.0.0.1:${port}`], { LIFEC_MIRROR_HOME: home });
    try {
      await eventually(() => run.stdout().includes('\n') || run.stderr() !== '');
      expect(run.stderr()).toBe('');
      expect(run.stdout()).toBe(
        `lifec-mirror serving the built-in default (docker.io as the default, ghcr.io, quay.io, registry.k8s.io, mcr.microsoft.com, public.ecr.aws, gcr.io) on http://127.0.0.1:${port}, state in ${home}; ` +
          'point a client at it with "lifec-mirror configure containerd|docker|podman|k3s", customise it with "lifec-mirror init --default"\n',
      );
      expect((await httpRequest('GET', `http://127.0.0.1:${port}/v2/`)).status).toBe(200);
      expect((await httpRequest('GET', `http://127.0.0.1:${port}/docker.io/v2/`)).status).toBe(200);
      const undeclared = await httpRequest('GET', `http://127.0.0.1:${port}/v2/library/redis/manifests/7?ns=registry.example`);
      expect(undeclared.status).toBe(404);
      expect(JSON.parse(undeclared.body.toString()).errors[0].code).toBe('NAME_UNKNOWN');
    } finally {
      run.stop();
    }
    expect(await run.code).toBe(0);
    expect(filesUnder(cwd)).toEqual([]);
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);
  });

  test('dump without a file shows the built-in default', async () => {
    const result = await cli(cwd, ['dump']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('(built-in default)');
    expect(result.stdout).toMatch(/^ +\d+ +\.mirror docker\.io$/m);
    expect(result.stdout).toMatch(/^ +\d+ +\.mirror gcr\.io$/m);
    expect(filesUnder(cwd)).toEqual([]);
  });

  test('init --default writes it as a readable mirror.runmd, which start and dump then read', async () => {
    const written = await cli(cwd, ['init', '--default', '--mirror-address', '127.0.0.1:9999']);
    expect(written).toEqual({ code: 0, stdout: `${path.join(cwd, 'mirror.runmd')}\n`, stderr: '' });
    const text = fs.readFileSync(path.join(cwd, 'mirror.runmd'), 'utf8');
    expect(text).toBe(renderDefaultRunmd('127.0.0.1:9999'));
    expect(text).toMatch(/lifec-mirror configure containerd\|docker\|podman\|k3s/);
    const dump = await cli(cwd, ['dump']);
    expect(dump.stdout.split('\n')[0]).toBe(path.join(cwd, 'mirror.runmd'));
    expect(dump.stdout).toContain('127.0.0.1:9999');
  });

  test('init --default with a registry is one line and writes nothing', async () => {
    const result = await cli(cwd, ['init', '--default', '--upstream', 'http://127.0.0.1:5000']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^lifec-mirror: --default writes the public registries: .*\n$/);
    expect(filesUnder(cwd)).toEqual([]);
  });

  test('an explicit --config that is missing is still an error, not the default', async () => {
    const result = await cli(cwd, ['dump', '--config', 'mirror.runmd']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no config at');
  });
});

describe('defaultHome', () => {
  it('prefers LIFEC_MIRROR_HOME, then /var/lib for root, then the XDG state directory', () => {
    expect(defaultHome({ LIFEC_MIRROR_HOME: '/srv/m', XDG_STATE_HOME: '/x' }, 0, '/home/u')).toBe('/srv/m');
    expect(defaultHome({ XDG_STATE_HOME: '/x' }, 0, '/root')).toBe('/var/lib/lifec-mirror');
    expect(defaultHome({ XDG_STATE_HOME: '/x/state' }, 1000, '/home/u')).toBe('/x/state/lifec-mirror');
    expect(defaultHome({}, 1000, '/home/u')).toBe('/home/u/.local/state/lifec-mirror');
    // The XDG spec ignores a relative path.
    expect(defaultHome({ XDG_STATE_HOME: 'rel' }, 1000, '/home/u')).toBe('/home/u/.local/state/lifec-mirror');
  });
});
