import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import TOML from '@iarna/toml';
import { freePort } from '../../harness/ports';
import { cli, filesUnder, runCli, tempHome } from './cli-helpers';

/** Resolves once `check` holds, polling; fails after `ms`. */
async function eventually(check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('lifec-mirror start, dump and hosts', () => {
  let home: string;
  let port: number;
  beforeEach(async () => {
    home = tempHome();
    port = await freePort();
    // The upstream is never contacted: these tests stop before any pull.
    expect((await cli(home, ['init', '--upstream', 'http://127.0.0.1:5000', '--mirror-address', `127.0.0.1:${port}`])).code).toBe(0);
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  test('runs the steps, installs hosts.toml into --hosts-dir, serves, and stops on a signal', async () => {
    const run = runCli(home, ['--log-format', 'pretty', 'start', '--hosts-dir', 'hd']);
    await eventually(() => run.stdout().includes('serving'));
    expect(run.stdout()).toBe(`lifec-mirror serving 127.0.0.1:5000 on http://127.0.0.1:${port}\n`);
    const installed = path.join(home, 'hd', '127.0.0.1:5000', 'hosts.toml');
    expect(TOML.parse(fs.readFileSync(installed, 'utf8'))).toEqual({
      server: 'http://127.0.0.1:5000', host: { [`http://127.0.0.1:${port}`]: { capabilities: ['pull', 'resolve'] } },
    });
    expect(fs.readFileSync(path.join(home, '.work/etc/containerd/certs.d/127.0.0.1:5000/hosts.toml'), 'utf8')).toBe(fs.readFileSync(installed, 'utf8'));
    expect(run.stderr()).toMatch(/^info {2}step id=4 event=start step=\.mirror$/m);
    run.stop();
    expect(await run.code).toBe(0);
  });

  test('"mirror start" is the same command', async () => {
    const run = runCli(home, ['mirror', 'start', '--hosts-dir', 'hd']);
    await eventually(() => run.stdout().includes('serving'));
    run.stop();
    expect(await run.code).toBe(0);
  });

  test('--id skips the steps before it: starting past .mirror writes no hosts.toml', async () => {
    fs.appendFileSync(path.join(home, 'mirror.runmd'), '\n``` start\n+ .runtime\n: .println last\n```\n');
    expect((await cli(home, ['dump'])).stdout).toMatch(/^ {2}6 {3}\.println last$/m);
    const run = runCli(home, ['--log-format', 'pretty', 'start', '--id', '6', '--hosts-dir', 'hd']);
    await eventually(() => run.stdout().includes('serving'));
    expect(run.stderr()).toMatch(/^info {2}last step=println$/m);
    expect(run.stderr()).not.toContain('step=.mirror');
    run.stop();
    expect(await run.code).toBe(0);
    expect(filesUnder(home)).toEqual(['mirror.runmd']);
  });

  test('an unknown --id is one line, exit 1, and nothing runs', async () => {
    const result = await cli(home, ['--log-level', 'warn', 'start', '--id', '99', '--hosts-dir', 'hd']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`lifec-mirror: no step with id 99 in ${path.join(home, 'mirror.runmd')} (ids run from 0 to 4; see "lifec-mirror dump")\n`);
    expect(filesUnder(home)).toEqual(['mirror.runmd']);
    expect((await cli(home, ['start', '--id', 'x'])).stderr).toContain('an id is a whole number');
  });

  test('a missing config and a runmd error are each one line with a non-zero exit', async () => {
    const missing = await cli(home, ['dump', '--config', 'nope.runmd']);
    expect(missing).toMatchObject({ code: 1, stderr: `lifec-mirror: no config at ${path.join(home, 'nope.runmd')}: create one with "lifec-mirror --registry <name> init" (or "init --upstream <url>") or pass --config <file>\n` });
    fs.writeFileSync(path.join(home, 'bad.runmd'), '```\n+ .runtime\n: .mirror http://127.0.0.1:5000\n: .host localhost:1, pull, fly\n```\n');
    const bad = await cli(home, ['start', '--config', 'bad.runmd']);
    expect(bad).toEqual({ code: 2, stdout: '', stderr: `lifec-mirror: ${path.join(home, 'bad.runmd')}:4:9: "fly" is not a containerd host capability (use pull, resolve, push)\n` });
  });

  test('a port already in use is one line and exit 1, before any step writes a hosts.toml', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const result = await cli(home, ['--log-level', 'silent', 'start', '--hosts-dir', 'hd']);
      expect(result).toEqual({ code: 1, stdout: '', stderr: `lifec-mirror: cannot listen on 127.0.0.1:${port}: EADDRINUSE\n` });
      expect(filesUnder(home)).toEqual(['mirror.runmd']);
    } finally {
      blocker.close();
    }
  });

  test('a hosts directory that cannot be written ends the run despite .loop, leaving no partial file', async () => {
    fs.writeFileSync(path.join(home, 'blocker'), '');
    const result = await cli(home, ['--log-level', 'silent', 'start', '--hosts-dir', 'blocker/certs.d']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`lifec-mirror: step 4 .mirror failed: cannot write hosts.toml for 127.0.0.1:5000 into ${path.join(home, 'blocker/certs.d')}: ENOTDIR\n`);
    expect(filesUnder(home).filter((f) => !f.startsWith('.work/'))).toEqual(['blocker', 'mirror.runmd']);
    expect(filesUnder(path.join(home, '.work'))).toEqual(['etc/containerd/certs.d/127.0.0.1:5000/hosts.toml']);
  });

  test('hosts writes the files without serving, and --dry-run only prints them', async () => {
    const dry = await cli(home, ['hosts', '--dry-run', '--hosts-dir', 'hd']);
    expect(dry.stdout.startsWith(`# ${path.join(home, 'hd', '127.0.0.1:5000', 'hosts.toml')}\n# Written by lifec-mirror`)).toBe(true);
    expect(filesUnder(home)).toEqual(['mirror.runmd']);
    const wrote = await cli(home, ['hosts', '--hosts-dir', 'hd']);
    expect(wrote.stdout).toBe(`wrote ${path.join(home, 'hd', '127.0.0.1:5000', 'hosts.toml')}\n`);
    expect((await cli(home, ['hosts', '--hosts-dir', 'hd'])).stdout).toMatch(/^unchanged /);
  });
});
