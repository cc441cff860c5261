import fs from 'node:fs';
import path from 'node:path';
import TOML from '@iarna/toml';
import { defaultCatalog } from '../../../lib/catalog';
import { hostsConfigFromMirror } from '../../../lib/containerd/host-config';
import { HOSTS_TOML_MARKER, renderHostsToml } from '../../../lib/containerd/hosts-toml';
import { compileRunmd } from '../../../lib/runmd/compile';
import { parseRunmd } from '../../../lib/runmd/parse';

const FIXTURES = path.join(__dirname, '../../fixtures/hosts');
const cases = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.runmd')).map((f) => f.replace(/\.runmd$/, ''));

function render(name: string): string {
  const file = path.join(FIXTURES, `${name}.runmd`);
  const config = compileRunmd(parseRunmd(fs.readFileSync(file, 'utf8'), `${name}.runmd`), defaultCatalog);
  const mirror = config.mirrors[0];
  if (!mirror) throw new Error(`${name}: no .mirror`);
  return renderHostsToml(hostsConfigFromMirror(mirror), `${name}.runmd`);
}

describe('renderHostsToml', () => {
  test('has a golden file for every fixture', () => {
    expect(cases.length).toBeGreaterThanOrEqual(4);
    for (const name of cases) expect(fs.existsSync(path.join(FIXTURES, `${name}.hosts.toml`))).toBe(true);
  });

  test.each(cases)('renders %s exactly as its golden file', (name) => {
    expect(render(name)).toBe(fs.readFileSync(path.join(FIXTURES, `${name}.hosts.toml`), 'utf8'));
  });

  test.each(cases)('renders %s as TOML an independent parser reads back', (name) => {
    const parsed = TOML.parse(render(name)) as { server?: string; host?: Record<string, { capabilities?: string[] }> };
    expect(typeof parsed.server).toBe('string');
    const hosts = Object.values(parsed.host ?? {});
    expect(hosts.length).toBeGreaterThan(0);
    for (const host of hosts) expect(host.capabilities?.every((c) => ['pull', 'resolve', 'push'].includes(c))).toBe(true);
  });

  test('keeps quotes, backslashes and newlines in a header value intact', () => {
    const value = 'a "quoted"\nline \\ and a ] bracket';
    const text = renderHostsToml({
      registry: 'r.example', server: 'https://r.example',
      hosts: [{ url: 'http://localhost:8578', capabilities: ['pull'], headers: [['X-Odd', [value]], ['X-Two', ['1', '2']]] }],
    });
    const parsed = TOML.parse(text) as { host: Record<string, { header: Record<string, unknown> }> };
    expect(parsed.host['http://localhost:8578']?.header).toEqual({ 'X-Odd': value, 'X-Two': ['1', '2'] });
  });

  test('starts with the marker that lets the installer recognise its own files', () => {
    expect(render('acr').startsWith(HOSTS_TOML_MARKER)).toBe(true);
  });

  test('writes no server for _default, so containerd falls back to the registry being pulled', () => {
    const text = renderHostsToml({ registry: '_default', server: 'https://ignored', hosts: [{ url: 'http://localhost:8578', capabilities: ['pull', 'resolve'], headers: [] }] });
    const parsed = TOML.parse(text) as Record<string, unknown>;
    expect(parsed.server).toBeUndefined();
    expect(Object.keys(parsed.host as object)).toEqual(['http://localhost:8578']);
  });
});
