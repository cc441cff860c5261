import fs from 'node:fs';
import path from 'node:path';
import { pushTestImages, startContainerd, TEST_CREDENTIALS, type Containerd, type PushedTestImages } from '../harness';
import { isolatedPodman } from '../helpers/podman';
import { skopeoDigest, startPushSetup, type PushSetup } from '../helpers/push-mirror';

const DIRECT_CREDS = `--creds=${TEST_CREDENTIALS.username}:${TEST_CREDENTIALS.password}`;

let setup: PushSetup;
let images: PushedTestImages;

beforeAll(async () => {
  setup = await startPushSetup('lifec-push-clients-');
  images = await pushTestImages(setup.registry, { largeMiB: 0 });
}, 300_000);

afterAll(async () => setup?.stop());

describe('containerd pushing through the hosts.toml the mirror wrote', () => {
  let containerd: Containerd;
  beforeAll(async () => (containerd = await startContainerd()), 120_000);
  afterAll(async () => containerd?.stop());

  it('sends the push to the mirror (push capability), which writes with its own credentials', async () => {
    const hostsDir = path.join(setup.dir, 'certs.d');
    expect(fs.readFileSync(path.join(hostsDir, setup.registry.host, 'hosts.toml'), 'utf8')).toContain('"push"');
    const pulled = await containerd.pullWithCtr(images.refs.single, hostsDir);
    expect({ code: pulled.code, stderr: pulled.stderr }).toEqual({ code: 0, stderr: '' });
    const target = `${setup.registry.host}/pushed/ctr:v1`;
    expect((await containerd.ctr(['images', 'tag', images.refs.single, target])).code).toBe(0);
    const pushed = await containerd.ctr(['images', 'push', '--hosts-dir', hostsDir, target]);
    expect({ code: pushed.code, stderr: pushed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await skopeoDigest(`docker://${target}`, [DIRECT_CREDS])).toBe(images.single.descriptor.digest);
    // containerd < 2.3 sends no ns with a push: the requests reached the default registry through the mirror.
    const writes = setup.mirror.log().split('\n').filter((l) => l.includes('"msg":"request"') && /"method":"(PUT|POST)"/.test(l) && l.includes('pushed/ctr'));
    expect(writes.length).toBeGreaterThan(0);
  });
});

describe('podman pushing to the mirror addressed as a registry', () => {
  it('pushes an image that pulls back through the mirror and directly with the digest podman wrote', async () => {
    const podman = isolatedPodman(path.join(setup.dir, 'podman'));
    const id = await podman.run(['pull', '-q', ...podman.policy, `oci:${images.layoutDir}:single-v1`]);
    const digestFile = path.join(setup.dir, 'podman.digest');
    const target = `127.0.0.1:${setup.mirror.port}/pushed/podman:v1`;
    await podman.run(['push', '--tls-verify=false', ...podman.policy, '--digestfile', digestFile, id, `docker://${target}`]);
    const digest = fs.readFileSync(digestFile, 'utf8').trim();
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await skopeoDigest(`docker://${target}`)).toBe(digest);
    expect(await skopeoDigest(`docker://${setup.registry.host}/pushed/podman:v1`, [DIRECT_CREDS])).toBe(digest);
  });
});
