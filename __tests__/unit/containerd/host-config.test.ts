import { defaultCatalog } from '../../../lib/catalog';
import { hostsConfigFromMirror } from '../../../lib/containerd/host-config';
import { compileRunmd } from '../../../lib/runmd/compile';
import { parseRunmd } from '../../../lib/runmd/parse';

const compile = (lines: string) => compileRunmd(parseRunmd(`\`\`\`\n+ .runtime\n: .mirror r.example\n${lines}\n\`\`\`\n`, 'm.runmd'), defaultCatalog);

describe('containerd properties of .mirror', () => {
  test.each([
    [': .host localhost:8578, pull, delete', 'm.runmd:4:9: "delete" is not a containerd host capability (use pull, resolve, push)'],
    [': .https /ca.pem', 'm.runmd:4:1: .https applies to the ".host" line above it'],
    [': .host http://localhost:8578\n: .https', 'm.runmd:5:1: .https conflicts with the http:// URL of the .host above'],
    [': .host localhost:8578\n: .header X-Only-Name', 'm.runmd:5:11: .header is written ".header <name> <value>"'],
    [': .host localhost:8578\n: .skip_verify maybe', 'm.runmd:5:16: .skip_verify takes nothing, "true" or "false"'],
    [': .host ftp://x:1', 'm.runmd:4:9: "ftp://x:1" must be an http(s) address'],
    [': .hosts_dir', 'm.runmd:4:13: .hosts_dir needs a directory'],
  ])('rejects %j when the file is compiled', (lines, message) => {
    expect(() => compile(lines)).toThrow(message);
  });

  test('reads hosts, the hosts directory and the server override', () => {
    const [mirror] = compile(': .server https://other.example\n: .hosts_dir /srv/certs.d\n: .host localhost:8578, resolve, pull\n: .host https://m2:443, push').mirrors;
    expect(hostsConfigFromMirror(mirror!)).toEqual({
      registry: 'r.example',
      server: 'https://other.example',
      hostsDir: '/srv/certs.d',
      hosts: [
        { url: 'http://localhost:8578', capabilities: ['pull', 'resolve'], headers: [] },
        { url: 'https://m2', capabilities: ['push'], headers: [] },
      ],
    });
  });
});
