import type { Block } from '../../../lib/runmd/ast';
import { parseRunmd } from '../../../lib/runmd/parse';

/** Parses the lines as the content of one unnamed block. */
const parseBlock = (...lines: string[]): Block => {
  const [block] = parseRunmd(['```', ...lines, '```'].join('\n'), 'm.runmd').blocks;
  if (!block) throw new Error('no block parsed');
  return block;
};

describe('parseRunmd lines', () => {
  it('keeps : lines before the first + line as block controls', () => {
    const block = parseBlock(': skip_hosts_dir_check .true', ': .loop', '+ .runtime', ': .mirror');
    expect(block.controls.map((line) => line.name)).toEqual(['true', 'loop']);
    expect(block.roots[0]?.properties.map((line) => line.name)).toEqual(['mirror']);
  });

  it('reads a named symbol value, whose input may start with a dot', () => {
    const [control] = parseBlock(': work_dir .symbol .world/azurecr.io/example').controls;
    expect(control).toEqual({
      key: 'work_dir',
      name: 'symbol',
      input: '.world/azurecr.io/example',
      value: { type: 'symbol', value: '.world/azurecr.io/example' },
      indent: 1,
      pos: { file: 'm.runmd', line: 2, column: 1 },
      inputPos: { file: 'm.runmd', line: 2, column: 20 },
    });
  });

  it.each([
    ['.true', { type: 'bool', value: true }],
    ['.enable', { type: 'bool', value: true }],
    ['.false', { type: 'bool', value: false }],
    ['.disable', { type: 'bool', value: false }],
    ['.empty', { type: 'empty' }],
    ['.int 3', { type: 'int', value: 3 }],
    ['.float 2.5', { type: 'float', value: 2.5 }],
    ['.bool false', { type: 'bool', value: false }],
    ['.text any text at all', { type: 'text', value: 'any text at all' }],
  ])('reads the typed value "key %s"', (typed, value) => {
    const [line] = parseBlock(`: key ${typed}`).controls;
    expect(line).toMatchObject({ key: 'key', name: typed.split(' ')[0]?.slice(1), value });
  });

  it('reads a typed value without a key, such as ": .true"', () => {
    const [line] = parseBlock('+ .runtime', ': .true').roots[0]?.properties ?? [];
    expect(line).toMatchObject({ name: 'true', input: '', value: { type: 'bool', value: true } });
    expect(line).not.toHaveProperty('key');
  });

  it('reads a named typed value on a + line too', () => {
    const [root] = parseBlock('+ retries .int 3').roots;
    expect(root).toMatchObject({ key: 'retries', name: 'int', value: { type: 'int', value: 3 }, properties: [] });
  });

  it('accepts names with dashes, underscores and digits', () => {
    const [root] = parseBlock('+ .login-acr_2 x').roots;
    expect(root?.name).toBe('login-acr_2');
  });

  it('accepts a marker written right against the dot', () => {
    const [root] = parseBlock('+.runtime').roots;
    expect(root).toMatchObject({ name: 'runtime', indent: 0 });
  });

  it('ignores blank lines and lines starting with #, -, * or //', () => {
    const block = parseBlock('', '   ', '# a', '  - b', '* c', '// d', '+ .runtime');
    expect(block.roots).toHaveLength(1);
  });

  it('removes <inline comments> anywhere in the line without moving columns', () => {
    const [root] = parseBlock('<note> + .proxy <a> localhost:8578 <b>').roots;
    expect(root).toMatchObject({ name: 'proxy', input: 'localhost:8578', pos: { column: 8 }, inputPos: { column: 21 } });
  });

  it('points inputPos past the name when only a comment follows it', () => {
    const [root] = parseBlock('+ .engine   <the engine definition>').roots;
    expect(root).toMatchObject({ input: '', inputPos: { column: 10 } });
  });

  it('keeps an unclosed < as text', () => {
    const [root] = parseBlock('+ .check a < b').roots;
    expect(root?.input).toBe('a < b');
  });

  it('ignores a line holding only an inline comment', () => {
    expect(parseBlock('<nothing to see>', '+ .runtime').roots).toHaveLength(1);
  });
});
