import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CredentialStore } from '../../../lib/auth/credential-store';
import { parseCredentialSource } from '../../../lib/auth/credential-source';
import { silentLogger } from '../../../lib/log';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const jwt = (exp: number): string => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.c2ln`;

describe('CredentialStore', () => {
  let dir: string;
  let now: number;
  const store = (env: NodeJS.ProcessEnv = {}): CredentialStore => new CredentialStore({ home: dir, clock: { now: () => now }, logger: silentLogger(), env });
  const writeFile = (name: string, content: string, mode = 0o600): string => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode });
    fs.chmodSync(file, mode);
    return file;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-creds-'));
    now = Date.now();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('Docker config.json', () => {
    it('uses the auths entry of exactly the asked registry', async () => {
      const config = writeFile('config.json', JSON.stringify({ auths: {
        'https://registry.example': { auth: b64('alice:pw1') },
        'registry.example.evil': { auth: b64('mallory:pw2') },
        'tokens.example': { identitytoken: 'refresh-1', username: '<token>' },
      } }));
      const s = store();
      expect(await s.lookup({ kind: 'docker', file: config }, 'registry.example')).toEqual({ status: 'found', credentials: { registry: 'registry.example', username: 'alice', password: 'pw1' } });
      expect(await s.lookup({ kind: 'docker', file: config }, 'tokens.example')).toEqual({ status: 'found', credentials: { registry: 'tokens.example', username: '<token>', refreshToken: 'refresh-1' } });
      expect(await s.lookup({ kind: 'docker', file: config }, 'example')).toEqual({ status: 'none' });
    });

    it('maps docker.io to the index.docker.io key Docker writes', async () => {
      const config = writeFile('config.json', JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('hubuser:hubpw') } } }));
      expect(await store().lookup({ kind: 'docker', file: config }, 'docker.io')).toMatchObject({ status: 'found', credentials: { username: 'hubuser' } });
    });

    it('asks a credential helper through the docker-credential protocol', async () => {
      const bin = path.join(dir, 'bin');
      const received = path.join(dir, 'helper-stdin');
      writeFile('bin/docker-credential-fake', `#!/bin/sh\ncat > '${received}'\necho '{"ServerURL":"x","Username":"helper-user","Secret":"helper-secret"}'\n`, 0o755);
      writeFile('bin/docker-credential-empty', '#!/bin/sh\necho "credentials not found in native keychain"\nexit 1\n', 0o755);
      const config = writeFile('config.json', JSON.stringify({ credHelpers: { 'one.example': 'fake' }, credsStore: 'empty' }));
      const s = store({ PATH: `${bin}:/usr/bin:/bin` });
      expect(await s.lookup({ kind: 'docker', file: config }, 'one.example')).toEqual({ status: 'found', credentials: { registry: 'one.example', username: 'helper-user', password: 'helper-secret' } });
      expect(fs.readFileSync(received, 'utf8')).toBe('one.example');
      expect(await s.lookup({ kind: 'docker', file: config }, 'two.example')).toEqual({ status: 'none' });
    });

    it('reports a malformed config with a fixed message that quotes none of it', async () => {
      const secret = b64('alice:very-secret-password');
      // Trailing comma: Node's JSON.parse message quotes the text around the fault.
      const config = writeFile('config.json', `{"auths":{"registry.example":{"auth":"${secret}",}}}`);
      const lookup = await store().lookup({ kind: 'docker', file: config }, 'registry.example');
      expect(lookup).toEqual({ status: 'unavailable', reason: `Docker config ${config} is not valid JSON` });
      for (const fragment of [secret.slice(0, 8), secret.slice(-8), '"auth"']) expect(JSON.stringify(lookup)).not.toContain(fragment);
    });

    it('reports a missing helper as unavailable, and a missing config as anonymous', async () => {
      const config = writeFile('config.json', JSON.stringify({ credsStore: 'absent' }));
      const found = await store({ PATH: '/nonexistent' }).lookup({ kind: 'docker', file: config }, 'a.example');
      expect(found).toEqual({ status: 'unavailable', reason: expect.stringContaining('docker-credential-absent is not on PATH') });
      expect(await store().lookup({ kind: 'docker', file: path.join(dir, 'nope.json') }, 'a.example')).toEqual({ status: 'none' });
    });
  });

  describe('credential files', () => {
    const source = { kind: 'file', file: 'access_token' } as const;

    it('reads a bare refresh token with the ACR username', async () => {
      writeFile('.world/r.azurecr.io/access_token', `${jwt(now / 1000 + 600)}\n`);
      expect(await store().lookup(source, 'r.azurecr.io')).toMatchObject({ status: 'found', credentials: { username: '00000000-0000-0000-0000-000000000000' } });
    });

    it.each([
      ['an expired refresh token', () => `${jwt(now / 1000 - 1)}\n`, /expired at .*run \.login-acr/],
      ['text that is no token', () => 'hello world\n', /neither a token nor JSON/],
      ['broken JSON', () => '{"username":', /does not parse/],
      ['JSON without credentials', () => '{"user":"x"}', /neither "username" and "password"/],
      ['an empty file', () => '', /empty/],
    ])('calls %s unavailable without quoting it', async (_what, content, reason) => {
      const text = content();
      writeFile('.world/r.example/access_token', text);
      const found = await store().lookup(source, 'r.example');
      expect(found).toEqual({ status: 'unavailable', reason: expect.stringMatching(reason) });
      if (text.trim()) expect(JSON.stringify(found)).not.toContain(text.trim());
    });

    it('re-reads a file after it changed', async () => {
      writeFile('.world/r.example/access_token', '{"username":"a","password":"one"}');
      const s = store();
      expect(await s.lookup(source, 'r.example')).toMatchObject({ credentials: { password: 'one' } });
      writeFile('.world/r.example/access_token', '{"username":"a","password":"two-longer"}');
      expect(await s.lookup(source, 'r.example')).toMatchObject({ credentials: { password: 'two-longer' } });
    });
  });

  it('takes a username and password from the environment variables .login env names', async () => {
    const source = parseCredentialSource('env REG_USER REG_PASS');
    expect(await store({ REG_USER: 'u', REG_PASS: 'p' }).lookup(source, 'r.example')).toEqual({ status: 'found', credentials: { registry: 'r.example', username: 'u', password: 'p' } });
    expect(await store({ REG_USER: 'u' }).lookup(source, 'r.example')).toMatchObject({ status: 'unavailable' });
  });

  it.each(['', 'env ONLY_ONE', 'a b', 'dir/file', 'env 1BAD X'])('parseCredentialSource refuses %p', (input) => {
    expect(() => parseCredentialSource(input)).toThrow();
  });
});
