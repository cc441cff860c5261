import { parse } from 'smol-toml';
import { setConfigPath } from '../../../lib/containerd/containerd-config';

const DIR = '/etc/containerd/certs.d';
const cri = (text: string): unknown =>
  (parse(text) as { plugins?: Record<string, { registry?: { config_path?: string } }> }).plugins?.['io.containerd.grpc.v1.cri']?.registry?.config_path;

describe('setConfigPath', () => {
  test('writes a minimal version 2 config when there is none', () => {
    const { text, changed } = setConfigPath('', DIR);
    expect(changed).toBe(true);
    expect(cri(text)).toBe(DIR);
    expect(parse(text).version).toBe(2);
  });

  test('adds config_path under an existing registry table and keeps every other line', () => {
    const before = [
      'version = 2',
      '# keep this comment',
      'root = "/var/lib/containerd"',
      '',
      '[plugins."io.containerd.grpc.v1.cri".registry]',
      '  [plugins."io.containerd.grpc.v1.cri".registry.mirrors]',
      '',
      '[plugins."io.containerd.grpc.v1.cri".containerd]',
      '  snapshotter = "overlayfs"',
      '',
    ].join('\n');
    const { text } = setConfigPath(before, DIR);
    expect(cri(text)).toBe(DIR);
    for (const line of before.split('\n')) expect(text.split('\n')).toContain(line);
    expect(text.split('\n').length).toBe(before.split('\n').length + 1);
  });

  test('replaces a different config_path and leaves a matching one alone', () => {
    const before = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n    config_path = "/old"\n';
    const { text } = setConfigPath(before, DIR);
    expect(text).toBe(`version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n    config_path = "${DIR}"\n`);
    expect(setConfigPath(text, DIR)).toEqual({ text, changed: false });
  });

  test('appends the table when the config has none, and uses the v3 table for containerd 2', () => {
    expect(cri(setConfigPath('version = 2\nroot = "/r"\n', DIR).text)).toBe(DIR);
    const v3 = parse(setConfigPath('version = 3\n', DIR).text) as { plugins: Record<string, { registry: { config_path: string } }> };
    expect(v3.plugins['io.containerd.cri.v1.images']?.registry.config_path).toBe(DIR);
  });

  test('refuses a file it cannot edit safely rather than writing something wrong', () => {
    const inline = 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  registry = { mirrors = {} }\n';
    expect(() => setConfigPath(inline, DIR)).toThrow('set config_path = "/etc/containerd/certs.d" there by hand');
    expect(() => setConfigPath('version = = 2', DIR)).toThrow();
  });

  test('refuses to add config_path next to registry mirrors or TLS configs, which containerd rejects together', () => {
    const mirrors = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://m.example"]\n';
    expect(() => setConfigPath(mirrors, DIR)).toThrow(/"mirrors" or "configs.<host>.tls".*move them to hosts.toml/);
    const tls = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example".tls]\n  insecure_skip_verify = true\n';
    expect(() => setConfigPath(tls, DIR)).toThrow(/move them to hosts.toml/);
    const auth = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example".auth]\n  username = "u"\n';
    expect(cri(setConfigPath(auth, DIR).text)).toBe(DIR);
  });
});
