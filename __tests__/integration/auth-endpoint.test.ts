import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { isLoopbackAddress, isLoopbackHost } from '../../lib/admin/auth-endpoint';
import { formatCredentialFile } from '../../lib/auth/credential-file';
import { registryDir } from '../../lib/auth/credential-source';
import { writeSecretFile } from '../../lib/auth/secret-file';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import express from 'express';

const PRIVATE = '127.0.0.1:5999';
const ACR = 'example.azurecr.io';
const REFRESH_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln';

const runmd = `
\`\`\` start mirror
+ .runtime
: .mirror http://${PRIVATE}
: .mirror ${ACR}
: .mirror docker.io

+ .proxy 127.0.0.1:0
: .manifests head, get
:   .login access_token
:   .authn oauth2
:   .resolve
\`\`\`
`;

let home: string;
let mirror: MirrorRouter;
let app: express.Express;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-authep-'));
  await writeSecretFile(path.join(registryDir(home, PRIVATE), 'access_token'), formatCredentialFile('alice', 's3cret'));
  await writeSecretFile(path.join(registryDir(home, ACR), 'access_token'), `${REFRESH_TOKEN}\n`);
  // A Docker config.json as credential file, with an entry for another registry only.
  const otherAuth = Buffer.from('bob:other-secret').toString('base64');
  await writeSecretFile(path.join(registryDir(home, 'docker.io'), 'access_token'), JSON.stringify({ auths: { 'ghcr.io': { auth: otherAuth } } }));
  mirror = createMirror({ runmd, home });
  app = express().use(mirror);
});

afterAll(async () => {
  await mirror.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const blobUrl = (origin: string): string => `${origin}/v2/team/app/blobs/sha256:${'a'.repeat(64)}`;

describe('GET /auth (overlaybd http credential mode)', () => {
  it('answers the username and password of the blob URL host', async () => {
    const res = await request(app).get('/auth').query({ remote_url: blobUrl(`http://${PRIVATE}`) });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ traceId: expect.any(String), success: true, data: { auths: { [PRIVATE]: { username: 'alice', password: 's3cret' } } } });
  });

  it('answers an ACR refresh token as the password of the all-zero username', async () => {
    const res = await request(app).get('/auth').query({ remote_url: blobUrl(`https://${ACR}`) });
    expect(res.body.data).toEqual({ auths: { [ACR]: { username: '00000000-0000-0000-0000-000000000000', password: REFRESH_TOKEN } } });
  });

  it('answers 404 for a declared registry its credential file has no entry for', async () => {
    const res = await request(app).get('/auth').query({ remote_url: blobUrl('https://registry-1.docker.io') });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, message: 'no credentials for docker.io' });
    expect(JSON.stringify(res.body)).not.toContain('other-secret');
  });

  it.each([
    ['an undeclared registry', blobUrl('https://other.example')],
    ['a lookalike host', blobUrl(`https://${ACR}.evil.example`)],
    ['a URL that does not parse', 'not a url'],
    ['a non-HTTP URL', `ftp://${PRIVATE}/x`],
  ])('answers 404 for %s, with no credential in the body', async (_what, remoteUrl) => {
    const res = await request(app).get('/auth').query({ remote_url: remoteUrl });
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toMatch(/s3cret|eyJ/);
  });

  it.each(['localhost', 'localhost:8578', '127.0.0.1:8578', '[::1]:8578'])('answers a request addressed to %s', async (host) => {
    const res = await request(app).get('/auth').set('Host', host).query({ remote_url: blobUrl(`http://${PRIVATE}`) });
    expect(res.status).toBe(200);
  });

  it.each(['rebind.attacker.example', 'rebind.attacker.example:8578', '127.0.0.1.attacker.example:8578'])(
    'answers 403 to a request addressed to %s (DNS rebinding), with no credential in the body',
    async (host) => {
      const res = await request(app).get('/auth').set('Host', host).query({ remote_url: blobUrl(`http://${PRIVATE}`) });
      expect(res.status).toBe(403);
      expect(JSON.stringify(res.body)).not.toContain('s3cret');
    },
  );

  it('answers 404 without remote_url', async () => {
    expect((await request(app).get('/auth')).status).toBe(404);
  });

  it('answers 503 when the credential file became unusable', async () => {
    const file = path.join(registryDir(home, PRIVATE), 'access_token');
    fs.chmodSync(file, 0o644);
    try {
      const res = await request(app).get('/auth').query({ remote_url: blobUrl(`http://${PRIVATE}`) });
      expect(res.status).toBe(503);
      expect(JSON.stringify(res.body)).not.toContain('s3cret');
    } finally {
      fs.chmodSync(file, 0o600);
    }
  });
});

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])('accepts %s', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });
  it.each(['192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '', '127.0.0.1.evil', '::ffff:128.0.0.1'])('refuses %p', (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });
});

describe('isLoopbackHost', () => {
  it.each(['localhost', 'LOCALHOST:80', '127.0.0.1', '127.9.9.9:8578', '[::1]', '[::1]:8578'])('accepts %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each([undefined, '', 'example.com', 'localhost.example.com', '127.0.0.1.nip.io', '[::2]:80', 'localhost:80:80', '[::1]x'])('refuses %p', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});
