import { emitYaml } from '../../../lib/clients/yaml-emit';
import { PlainScalar, YamlSubsetError, parseYamlSubset } from '../../../lib/clients/yaml-subset';
import { fixture } from './fixtures';

const plain = (text: string) => new PlainScalar(text);

describe('YAML subset', () => {
  test('reads block mappings, lists at either indent, flow lists, quotes and comments', () => {
    const text = [
      '---',
      'a: 1 # one',
      "b: 'it''s'",
      'c: "tab\\there # not a comment"',
      'list:',
      '- x',
      '-  "y"',
      'flow: [ "p, q", r ]',
      'empty:',
      'none: {}',
      'host:5000: ok',
      'nested:',
      '    deep: [ ]',
    ].join('\n');
    expect(parseYamlSubset(text)).toEqual(
      new Map<string, unknown>([
        ['a', plain('1')],
        ['b', "it's"],
        ['c', 'tab\there # not a comment'],
        ['list', [plain('x'), 'y']],
        ['flow', ['p, q', plain('r')]],
        ['empty', plain('')],
        ['none', new Map()],
        ['host:5000', plain('ok')],
        ['nested', new Map([['deep', []]])],
      ]),
    );
  });

  test('what it writes reads back the same, and plain scalars keep their spelling', () => {
    const value = parseYamlSubset(fixture('registries.yaml'));
    const written = emitYaml(value);
    expect(parseYamlSubset(written)).toEqual(value);
    expect(written).toContain('insecure_skip_verify: yes\n');
    expect(written).toContain('password: 123456\n');
    expect(emitYaml(new Map())).toBe('{}\n');
  });

  test.each([
    ['an anchor', 'a: &x 1\n', 1, '"&" starts YAML'],
    ['an alias', 'a: 1\nb: *x\n', 2, '"*" starts YAML'],
    ['a tag', 'a: !!str 1\n', 1, '"!" starts YAML'],
    ['a block scalar', 'a: |\n  text\n', 1, '"|" starts YAML'],
    ['a second document', 'a: 1\n---\nb: 2\n', 2, 'more than one document'],
    ['a quote left open', 'a: "open\n  close"\n', 1, 'does not end on its line'],
    ['a multi-line plain scalar', 'a: one\n  two\n', 2, 'unexpected indentation'],
    ['a duplicate key', 'a: 1\na: 2\n', 2, '"a" appears twice'],
    ['a flow mapping', 'a: {b: 1}\n', 1, '"{" starts YAML'],
    ['a nested flow list', 'a: [[1]]\n', 1, 'a nested flow collection'],
    ['a mapping on a value line', 'a: b: c\n', 1, 'a mapping on a value line'],
    ['an unknown escape', 'a: "\\x41"\n', 1, 'an escape this tool does not read'],
  ])('refuses %s with its line', (_name, text, line, reason) => {
    let error: unknown;
    try {
      parseYamlSubset(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(YamlSubsetError);
    expect((error as YamlSubsetError).line).toBe(line);
    expect((error as YamlSubsetError).message).toContain(reason);
  });
});
