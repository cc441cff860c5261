import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import TOML from '@iarna/toml';
import { freePort, pushTestImages, startContainerd, startProcess, startRegistry, type Containerd, type ManagedProcess, type PushedTestImages, type Registry } from '../harness';
import { canConnect } from '../harness/ports';

// The CLI as a user runs it: bin/lifec-mirror.js over dist/ (built by the global setup).
const BIN = path.join(__dirname, '../../bin/lifec-mirror.js');
const exec = promisify(execFile);

let registry: Registry;
let images: PushedTestImages;
let containerd: Containerd;
let mirror: ManagedProcess;
let home: string;
let hostsDir: string;
let port: number;

const mirrorLog = (): string => fs.readFileSync(path.join(home, 'mirror.log'), 'utf8');

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-cli-e2e-'));
  hostsDir = path.join(home, 'certs.d');
  registry = await startRegistry({ auth: 'none' });
  images = await pushTestImages(registry, { largeMiB: 0 });
  containerd = await startContainerd();
  port = await freePort();
  const init = await exec(process.execPath, [BIN, 'init', '--upstream', registry.url, '--mirror-address', `127.0.0.1:${port}`], { cwd: home });
  expect(init.stdout).toBe(`${path.join(home, 'mirror.runmd')}\n`);
  mirror = startProcess({
    name: 'lifec-mirror', command: process.execPath, cwd: home, logPath: path.join(home, 'mirror.log'),
    args: [BIN, '--log-format', 'pretty', 'start', '--hosts-dir', hostsDir],
  });
  await mirror.waitForPort(port, 60_000);
}, 300_000);

afterAll(async () => {
  await mirror?.stop();
  await containerd?.stop();
  await registry?.stop();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe('lifec-mirror init + start with a private containerd', () => {
  test('start installed a valid hosts.toml that names the mirror and falls back to the registry', () => {
    const installed = fs.readFileSync(path.join(hostsDir, registry.host, 'hosts.toml'), 'utf8');
    expect(TOML.parse(installed)).toEqual({
      server: registry.url,
      host: { [`http://127.0.0.1:${port}`]: { capabilities: ['pull', 'resolve'] } },
    });
    expect(fs.readFileSync(path.join(home, '.work/etc/containerd/certs.d', registry.host, 'hosts.toml'), 'utf8')).toBe(installed);
  });

  test('dump lists the steps of the generated file', async () => {
    const { stdout } = await exec(process.execPath, [BIN, 'dump'], { cwd: home });
    expect(stdout).toMatch(new RegExp(`^ {2}4 {3}\\.mirror ${registry.url.replace(/\./g, '\\.')}$`, 'm'));
  });

  test('ctr pulls a single-platform image through the mirror', async () => {
    const before = (await registry.accessEntries()).length;
    const result = await containerd.pullWithCtr(images.refs.single, hostsDir, { platform: 'linux/amd64', namespace: 'single' });
    expect(result).toMatchObject({ code: 0 });
    expect(await containerd.imageDigest(images.refs.single, 'single')).toBe(images.single.descriptor.digest);
    const ns = `ns=${registry.host}`;
    const served = mirrorLog().split('\n').filter((l) => l.includes(ns));
    expect(served.some((l) => l.includes(`path=/v2/${images.repos.single}/manifests/v1`))).toBe(true);
    for (const layer of images.single.layers) expect(served.some((l) => l.includes(`/blobs/${layer.digest}`))).toBe(true);
    // The registry heard only from the mirror, never from containerd directly.
    const entries = (await registry.accessEntries()).slice(before);
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.filter((e) => e.userAgent.startsWith('containerd/'))).toEqual([]);
  });

  test('ctr pulls the arm64 image of a multi-arch index through the mirror', async () => {
    const result = await containerd.pullWithCtr(images.refs.multi, hostsDir, { platform: 'linux/arm64', namespace: 'multi' });
    expect(result).toMatchObject({ code: 0 });
    expect(await containerd.imageDigest(images.refs.multi, 'multi')).toBe(images.multi.descriptor.digest);
    const served = mirrorLog().split('\n').filter((l) => l.includes(`ns=${registry.host}`));
    expect(served.some((l) => l.includes(`/manifests/${images.multi.arm64.descriptor.digest}`))).toBe(true);
    expect(served.some((l) => l.includes(`/manifests/${images.multi.amd64.descriptor.digest}`))).toBe(false);
  });

  test('with the mirror stopped, the same pull succeeds through the server fallback', async () => {
    await mirror.stop();
    expect(await canConnect(port)).toBe(false);
    const before = (await registry.accessLog()).length;
    const result = await containerd.pullWithCtr(images.refs.single, hostsDir, { platform: 'linux/amd64', namespace: 'fallback' });
    expect(result).toMatchObject({ code: 0 });
    expect(await containerd.imageDigest(images.refs.single, 'fallback')).toBe(images.single.descriptor.digest);
    const entries = (await registry.accessEntries()).slice(before);
    // containerd itself, not the mirror, fetched the manifest from the registry.
    expect(entries.some((e) => e.uri.startsWith(`/v2/${images.repos.single}/manifests/`) && e.userAgent.startsWith('containerd/'))).toBe(true);
  });
});
