import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { loadTls, plainHttpWarning } from '../../lib/http/tls-files';
import { startServer, type RunningServer } from '../../lib/server';
import { waitUntil } from '../harness/process';
import { makeTempDir, removeTempDir } from '../harness/tempdir';
import { captureLogger } from '../helpers/log-capture';
import { makeTestCa, type TestCa } from '../helpers/test-ca';
import { basicRunmd } from '../helpers/upstream-server';

/** GET over HTTPS trusting `ca` only; the status and the certificate the server showed. */
function get(url: string, ca: Buffer): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? '';
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, fingerprint }));
    });
    req.once('error', reject);
  });
}

describe('serving HTTPS with .tls', () => {
  let dir: string;
  let ca: TestCa;
  let first: ReturnType<TestCa['issue']>;
  let mirror: MirrorRouter;
  let running: RunningServer;
  const log = captureLogger('info');

  beforeAll(async () => {
    dir = makeTempDir('tls');
    ca = makeTestCa(dir);
    first = ca.issue('mirror');
    const runmd = basicRunmd(['http://127.0.0.1:9']).replace('+ .proxy localhost:0', '+ .proxy localhost:0\n: .tls mirror.crt mirror.key');
    mirror = createMirror({ runmd, home: dir, logger: log.logger });
    running = await startServer(mirror, log.logger, { host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await running?.close();
    removeTempDir(dir);
  });

  it('answers the ping over HTTPS to a client that trusts the CA, and refuses one that does not', async () => {
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await get(`${running.url}/v2/`, fs.readFileSync(ca.caFile));
    expect(answer).toEqual({ status: 200, fingerprint: first.fingerprint });
    const strangerDir = makeTempDir('tls-other');
    try {
      const stranger = makeTestCa(strangerDir);
      await expect(get(`${running.url}/v2/`, fs.readFileSync(stranger.caFile))).rejects.toThrow(/certificate/i);
    } finally {
      removeTempDir(strangerDir);
    }
    expect(log.text()).not.toContain('plain HTTP');
  });

  it('serves a renewed certificate without a restart, and keeps it when a broken pair replaces it', async () => {
    const renewed = ca.issue('mirror');
    expect(renewed.fingerprint).not.toBe(first.fingerprint);
    const trusted = fs.readFileSync(ca.caFile);
    await waitUntil('the renewed certificate served', async () => (await get(`${running.url}/v2/`, trusted)).fingerprint === renewed.fingerprint, 60_000);
    expect(log.text()).toContain('tls: certificate reloaded');

    // A key that does not belong to the certificate: logged, and the last good pair stays.
    const other = ca.issue('other');
    fs.copyFileSync(other.key, path.join(dir, 'mirror.key.tmp'));
    fs.renameSync(path.join(dir, 'mirror.key.tmp'), path.join(dir, 'mirror.key'));
    await waitUntil('the broken pair reported', () => log.text().includes('cannot be used; keeping the previous one'), 60_000);
    expect(await get(`${running.url}/v2/`, trusted)).toEqual({ status: 200, fingerprint: renewed.fingerprint });
  });
});

describe('loadTls', () => {
  it('refuses a key of another type than the certificate (OpenSSL keeps them in separate slots and would serve failed handshakes)', () => {
    const dir = makeTempDir('tls-types');
    try {
      const ca = makeTestCa(dir);
      const { cert, key } = ca.issue('mirror');
      // An RSA key where the P-256 one belongs: an RSA-to-ECDSA renewal caught half-way.
      execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key], { stdio: 'pipe' });
      expect(() => loadTls({ cert, key })).toThrow(/does not belong to the certificate/);
    } finally {
      removeTempDir(dir);
    }
  });
});

describe('.tls in runmd', () => {
  it('needs a certificate and a key file', () => {
    const runmd = basicRunmd(['http://127.0.0.1:9']).replace('+ .proxy localhost:0', '+ .proxy localhost:0\n: .tls only-one.crt');
    expect(() => createMirror({ runmd })).toThrow(/\.tls takes the certificate file and the key file/);
  });
});

describe('plainHttpWarning', () => {
  it('warns for a plain-HTTP address beyond loopback only', () => {
    expect(plainHttpWarning('0.0.0.0')).toMatch(/not a loopback address: add ": \.tls <cert> <key>"/);
    expect(plainHttpWarning('::')).toBeDefined();
    expect(plainHttpWarning('10.1.2.3')).toBeDefined();
    for (const loopback of ['127.0.0.1', '127.0.0.53', '::1', 'localhost', '::ffff:127.0.0.1']) expect(plainHttpWarning(loopback)).toBeUndefined();
  });
});
