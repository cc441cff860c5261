import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { CredentialStore } from '../../../lib/auth/credential-store';
import { main } from '../../../lib/cli/main';
import { silentLogger } from '../../../lib/log';

function io(cwd: string, stdin: string): { io: Parameters<typeof main>[1] & { stdin: Readable }; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { io: { stdout, stderr, cwd, env: {}, stopSignal: new Promise(() => undefined), stdin: Readable.from([stdin]) }, out: () => out, err: () => err };
}

describe('lifec-mirror login', () => {
  let home: string;
  beforeEach(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-login-'))));
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('stores the password from stdin for exactly that registry, mode 0600', async () => {
    const run = io(home, 'pa55word\n');
    expect(await main(['login', '127.0.0.1:5000', '--username', 'alice', '--password-stdin'], run.io)).toBe(0);
    const file = path.join(home, '.world', '127.0.0.1:5000', 'access_token');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(run.out()).toContain(file);
    expect(run.out() + run.err()).not.toContain('pa55word');
    const store = new CredentialStore({ home, clock: { now: () => Date.now() }, logger: silentLogger(), env: {} });
    expect(await store.lookup({ kind: 'file', file: 'access_token' }, '127.0.0.1:5000')).toEqual({
      status: 'found', credentials: { registry: '127.0.0.1:5000', username: 'alice', password: 'pa55word' },
    });
    expect((await store.lookup({ kind: 'file', file: 'access_token' }, '127.0.0.1:5001')).status).toBe('unavailable');
  });

  it('completes a bare name with the registry suffix', async () => {
    expect(await main(['login', 'example', '-u', 'bob', '--password-stdin'], io(home, 'x').io)).toBe(0);
    expect(fs.existsSync(path.join(home, '.world', 'example.azurecr.io', 'access_token'))).toBe(true);
  });

  it.each([
    [['login', 'ghcr.io', '--username', 'alice'], /--password-stdin/],
    [['login', 'ghcr.io', '--password-stdin'], /needs --username/],
    [['login', 'ghcr.io/x', '-u', 'a', '--password-stdin'], /bare registry address/],
    [['login', 'ghcr.io', '-u', 'a', '--password-stdin', '--file', '../x'], /bare file name/],
  ])('refuses %j with one line and exit code 2', async (argv, message) => {
    const run = io(home, 'secret');
    expect(await main(argv, run.io)).toBe(2);
    expect(run.err()).toMatch(message);
    expect(run.err().trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(path.join(home, '.world'))).toBe(false);
  });
});
