import { MalformedConfigError } from '../../../lib/clients/config-file';
import { mergeRegistriesYaml } from '../../../lib/clients/k3s-registries';
import { fixture } from './fixtures';

const FILE = '/etc/rancher/k3s/registries.yaml';
const mirror = 'http://localhost:8578';
const entries = [
  { registry: 'docker.io', endpoint: mirror },
  { registry: '127.0.0.1:5000', endpoint: mirror },
];

describe('k3s registries.yaml', () => {
  test('puts the mirror first in each endpoint list and keeps rewrites, configs and other endpoints', () => {
    expect(mergeRegistriesYaml(FILE, fixture('registries.yaml'), entries)).toBe(fixture('registries.merged.yaml'));
  });

  test('creates the file from nothing, with "*" for every other registry', () => {
    expect(mergeRegistriesYaml(FILE, undefined, [{ registry: 'docker.io', endpoint: mirror }, { registry: '*', endpoint: mirror }])).toBe(
      'mirrors:\n  docker.io:\n    endpoint:\n      - "http://localhost:8578"\n  "*":\n    endpoint:\n      - "http://localhost:8578"\n',
    );
  });

  test('fills an empty mirrors key or entry', () => {
    expect(mergeRegistriesYaml(FILE, 'mirrors:\nconfigs: {}\n', [{ registry: 'docker.io', endpoint: mirror }])).toBe(
      'mirrors:\n  docker.io:\n    endpoint:\n      - "http://localhost:8578"\nconfigs: {}\n',
    );
    expect(mergeRegistriesYaml(FILE, 'mirrors:\n  docker.io:\n', [{ registry: 'docker.io', endpoint: mirror }])).toContain('- "http://localhost:8578"');
  });

  test('returns the file untouched, comments and all, when it already says this', () => {
    const merged = fixture('registries.merged.yaml');
    const commented = `# mine\n${merged}`;
    expect(mergeRegistriesYaml(FILE, commented, entries)).toBe(commented);
  });

  test('refuses YAML outside the subset, naming the line, and shapes k3s would not read', () => {
    const refuse = (text: string) => () => mergeRegistriesYaml(FILE, text, entries);
    expect(refuse(fixture('registries.anchor.yaml'))).toThrow(MalformedConfigError);
    expect(refuse(fixture('registries.anchor.yaml'))).toThrow(
      /^\/etc\/rancher\/k3s\/registries.yaml is not YAML this tool can merge \(line 2: .*\): fix it or move it aside \(nothing was written\)$/,
    );
    expect(refuse('mirrors:\n\t docker.io:\n')).toThrow('line 2: a tab indents this line');
    expect(refuse('- a\n- b\n')).toThrow('is not a YAML mapping');
    expect(refuse('mirrors:\n  - docker.io\n')).toThrow('has a mirrors that is not a mapping');
    expect(refuse('mirrors:\n  docker.io:\n    endpoint: http://localhost:8578\n')).toThrow('mirrors."docker.io".endpoint that is not a list of URLs');
    expect(refuse('mirrors:\n  docker.io:\n    endpoint:\n      - url: http://x\n')).toThrow('line 4: a mapping inside a list');
  });
});
