import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { STEP_RUNNERS, type StepContext } from '../../lib/runtime';
import { startServer, type RunningServer } from '../../lib/server';
import { httpRequest } from '../harness';
import { startAcrUpstream, startFakeImds, writeFakeAz, type AcrUpstream } from '../helpers/acr-upstream';
import { captureLogger, type CapturedLogger } from '../helpers/log-capture';

const sha256 = (bytes: Buffer): string => `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
const ACCEPT = 'application/vnd.oci.image.manifest.v1+json';

/** With `loginLines` undefined, the operator provides the credential file (no `.login-acr`). */
const runmd = (acr: AcrUpstream, loginLines: string | undefined): string => `
\`\`\` start mirror
+ .runtime
${loginLines === undefined ? '' : `: .login-acr ${acr.url}\n${loginLines}\n: .install access_token`}
: .mirror ${acr.url}

+ .proxy 127.0.0.1:0
: .manifests head, get
:   .login access_token
:   .authn oauth2
:   .resolve
: .blobs head, get
:   .login access_token
:   .authn oauth2
:   .pull
\`\`\`
`;

interface Started {
  mirror: MirrorRouter;
  server: RunningServer;
  home: string;
  env: NodeJS.ProcessEnv;
  clock: { offset: number; now(): number };
}

let acr: AcrUpstream;
let log: CapturedLogger;
const running: Started[] = [];

/** Creates the mirror, runs its start event's steps as the engine would, then serves it. */
async function start(loginLines: string | undefined, env: NodeJS.ProcessEnv): Promise<Started> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-acr-'));
  const clock = { offset: 0, now: () => Date.now() + clock.offset };
  const mirror = createMirror({ runmd: runmd(acr, loginLines), home, logger: log.logger, clock });
  const ctx: StepContext = { home, config: mirror.config, logger: log.logger, clock, env, services: mirror.services };
  for (const step of mirror.config.events[0]!.steps) await STEP_RUNNERS.get(step.name)?.(step, ctx);
  const started = { mirror, server: await startServer(mirror, log.logger), home, env, clock };
  running.push(started);
  return started;
}

const manifestUrl = (s: Started): string => `${s.server.url}/v2/${acr.repository}/manifests/v1?ns=${encodeURIComponent(acr.host)}`;
const blobUrl = (s: Started): string => `${s.server.url}/v2/${acr.repository}/blobs/${acr.layer.digest}?ns=${encodeURIComponent(acr.host)}`;
const pathWith = (dir: string): string => `${dir}:${process.env.PATH ?? ''}`;

beforeAll(async () => {
  acr = await startAcrUpstream();
  log = captureLogger();
});

afterAll(async () => {
  for (const s of running) {
    await s.server.close();
    fs.rmSync(s.home, { recursive: true, force: true });
  }
  await acr?.stop();
});

describe('.login-acr with the Azure CLI', () => {
  let s: Started;
  let az: ReturnType<typeof writeFakeAz>;
  beforeAll(async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-az-'));
    az = writeFakeAz(bin, acr.issueRefreshToken());
    s = await start(': .source az', { ...process.env, PATH: pathWith(bin) });
  });

  it('asks az for a refresh token and installs it with mode 0600', () => {
    expect(az.calls()).toEqual([`acr login --name ${acr.host} --expose-token --output tsv --query accessToken`]);
    for (const file of [path.join(s.home, 'access_token'), path.join(s.home, '.world', acr.host, 'access_token')]) {
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    }
  });

  it('pulls the manifest with an access token from /oauth2/token', async () => {
    const before = acr.tokenRequests.length;
    const res = await httpRequest('GET', manifestUrl(s), { Accept: ACCEPT });
    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(acr.manifest.digest);
    expect(acr.tokenRequests.slice(before)).toEqual([{ method: 'POST', grantType: 'refresh_token', scope: `repository:${acr.repository}:pull`, status: 200 }]);
  });

  it('follows the blob redirect to storage without sending Authorization there', async () => {
    const before = acr.storageRequests.length;
    const res = await httpRequest('GET', blobUrl(s));
    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(acr.layer.digest);
    expect(acr.storageRequests.slice(before)).toEqual([expect.objectContaining({ authorization: undefined, status: 200 })]);
  });

  it('reuses the access token: its expiry comes from the JWT exp, as ACR sends no expires_in', async () => {
    const before = acr.tokenRequests.length;
    expect((await httpRequest('GET', manifestUrl(s), { Accept: ACCEPT })).status).toBe(200);
    s.clock.offset = 600_000;
    expect((await httpRequest('GET', manifestUrl(s), { Accept: ACCEPT })).status).toBe(200);
    expect(acr.tokenRequests.length).toBe(before);
    s.clock.offset = 0;
  });

  it('renews an expired refresh token through az without a restart', async () => {
    az = writeFakeAz(s.env.PATH!.split(':')[0]!, acr.issueRefreshToken(8 * 3600));
    s.clock.offset = 4 * 3600_000;
    const calls = az.calls().length;
    const res = await httpRequest('GET', manifestUrl(s), { Accept: ACCEPT });
    expect(res.status).toBe(200);
    expect(az.calls().length).toBe(calls + 1);
    s.clock.offset = 0;
  });
});

describe('.login-acr with the managed identity', () => {
  it('exchanges the instance-metadata AAD token for a refresh token and pulls with it', async () => {
    const imds = await startFakeImds(acr.aadToken);
    try {
      const s = await start(`: .source msi\n: .msi_endpoint ${imds.url}\n: .client_id my-identity`, { ...process.env, PATH: '/nonexistent' });
      expect(imds.requests).toEqual([{ metadata: 'true', clientId: 'my-identity' }]);
      expect(acr.exchangeRequests.at(-1)).toEqual({ tenant: 'tenant-0001', status: 200 });
      const res = await httpRequest('GET', manifestUrl(s), { Accept: ACCEPT });
      expect(res.status).toBe(200);
    } finally {
      await imds.stop();
    }
  });
});

describe('a failed login', () => {
  it('logs the cause and remedy, answers 503 with Retry-After, and heals once a later attempt succeeds', async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-noaz-'));
    const s = await start(': .source az', { ...process.env, PATH: bin });
    expect(log.text()).toMatch(/cannot log in to 127\.0\.0\.1:\d+: Azure CLI: the Azure CLI \(az\) is not on PATH \(install the Azure CLI/);
    const refused = await httpRequest('GET', manifestUrl(s), { Accept: ACCEPT });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body.toString()).toMatch(/UNAVAILABLE.*not on PATH/);
    writeFakeAz(bin, acr.issueRefreshToken());
    s.clock.offset = 31_000;
    const healed = await httpRequest('GET', manifestUrl(s), { Accept: ACCEPT });
    expect(healed.status).toBe(200);
  });

  it('says so when az prints garbage', async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-badaz-'));
    writeFakeAz(bin, 'WARNING: this is not a token');
    const s = await start(': .source az', { ...process.env, PATH: pathWith(bin) });
    expect(log.text()).toContain('printed something that is not an ACR refresh token');
    expect((await httpRequest('GET', manifestUrl(s), { Accept: ACCEPT })).status).toBe(503);
  });

  it('refuses a credential file other users can read, naming the fix', async () => {
    const s = await start(undefined, process.env);
    const file = path.join(s.home, '.world', acr.host, 'access_token');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${acr.issueRefreshToken()}\n`, { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const res = await httpRequest('GET', manifestUrl(s), { Accept: ACCEPT });
    expect(res.status).toBe(503);
    expect(res.body.toString()).toContain(`chmod 600 ${file}`);
    fs.chmodSync(file, 0o600);
    expect((await httpRequest('GET', manifestUrl(s), { Accept: ACCEPT })).status).toBe(200);
  });

  it('rewrites a world-readable file when it can log in again', async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-az-'));
    writeFakeAz(bin, acr.issueRefreshToken());
    const s = await start(': .source az', { ...process.env, PATH: pathWith(bin) });
    const file = path.join(s.home, '.world', acr.host, 'access_token');
    fs.chmodSync(file, 0o644);
    expect((await httpRequest('GET', manifestUrl(s), { Accept: ACCEPT })).status).toBe(200);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('the logs', () => {
  it('hold no refresh, access or AAD token', () => {
    expect(log.text()).not.toContain(acr.aadToken);
    expect(log.text()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });
});
