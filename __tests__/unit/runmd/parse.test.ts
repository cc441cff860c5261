import { readFileSync } from 'fs';
import { join } from 'path';
import type { Line } from '../../../lib/runmd/ast';
import { parseRunmd } from '../../../lib/runmd/parse';

const fixture = (name: string): string =>
  readFileSync(join(__dirname, '../../fixtures/runmd', name), 'utf8');
const block = (...lines: string[]): string => ['```', ...lines, '```'].join('\n');
/** `.name input` of a line, to compare many lines at a glance. */
const brief = (line: Line): string => `.${line.name} ${line.input}`.trimEnd();

describe('parseRunmd on the README example', () => {
  const doc = parseRunmd(fixture('readme-example.runmd'), 'readme.runmd');
  const [start] = doc.blocks;

  it('names the block by event and engine', () => {
    expect(doc.blocks).toHaveLength(1);
    expect(start).toMatchObject({ event: 'start', engine: 'mirror', controls: [] });
    expect(start?.pos).toEqual({ file: 'readme.runmd', line: 1, column: 1 });
  });

  it('groups each : line under the + line above it', () => {
    const roots = start?.roots.map((root) => [brief(root), root.properties.map(brief)]);
    expect(roots).toEqual([
      [
        '.runtime',
        ['.login-acr example', '.install access_token', '.mirror example.azurecr.io', '.host localhost:8578, resolve, pull'],
      ],
      [
        '.proxy localhost:8578',
        [
          '.manifests head, get',
          '.login access_token',
          '.authn oauth2',
          '.resolve application/vnd.docker.distribution.manifest.list.v2+json',
          '.discover dadi.image.v1',
          '.teleport overlaybd',
          '.blobs get',
          '.login access_token',
          '.authn oauth2',
          '.pull',
        ],
      ],
    ]);
  });

  it('counts the spaces between the marker and the dot as indent', () => {
    expect(start?.roots.map((root) => root.indent)).toEqual([1, 1]);
    expect(start?.roots[1]?.properties.map((line) => line.indent)).toEqual([1, 3, 3, 3, 3, 3, 1, 3, 3, 3]);
  });

  it('points pos at the marker and inputPos at the first character of the input', () => {
    const host = start?.roots[0]?.properties[3];
    expect(host?.pos).toEqual({ file: 'readme.runmd', line: 6, column: 1 });
    expect(host?.inputPos).toEqual({ file: 'readme.runmd', line: 6, column: 17 });
  });

  it('points inputPos just past the name when there is no input', () => {
    const pull = start?.roots[1]?.properties[9];
    expect(pull).toMatchObject({ name: 'pull', input: '', pos: { line: 18, column: 1 } });
    expect(pull?.inputPos).toMatchObject({ line: 18, column: 10 });
  });

  it('leaves plain calls without key or value', () => {
    expect(start?.roots[0]?.properties[0]).not.toHaveProperty('key');
    expect(start?.roots[0]?.properties[0]).not.toHaveProperty('value');
  });
});

describe('parseRunmd on the original generated mirror file', () => {
  const doc = parseRunmd(fixture('original-mirror.runmd'));

  it('reads every block, unnamed or named by event', () => {
    expect(doc.blocks.map((b) => [b.event, b.engine, b.pos.line])).toEqual([
      [undefined, undefined, 7],
      ['install', undefined, 15],
      ['start', undefined, 20],
      ['recover', undefined, 35],
    ]);
  });

  it('drops <inline comments> from the input', () => {
    const engine = doc.blocks[0]?.roots[0];
    expect(engine && brief(engine)).toBe('.engine');
    expect(engine?.properties.map(brief)).toEqual(['.once install', '.start start', '.start recover', '.loop']);
  });

  it('ignores # comment lines, including a commented-out control', () => {
    expect(doc.blocks[2]?.controls).toEqual([]);
    expect(doc.blocks[2]?.roots.map(brief)).toEqual(['.runtime', '.proxy localhost:8578']);
  });

  it('trims trailing spaces from the input', () => {
    expect(doc.blocks[2]?.roots[0]?.properties[0]).toMatchObject({ name: 'mirror', input: '' });
  });

  it('keeps the whole rest of the line as input', () => {
    expect(doc.blocks[3]?.roots[0]?.properties.map(brief)).toEqual([
      '.println Waiting for 10 secs before repeating',
      '.timer 10 s',
    ]);
  });
});

describe('parseRunmd line ends', () => {
  const lf = fixture('original-mirror.runmd');

  it('parses CRLF exactly like LF', () => {
    expect(parseRunmd(lf.replace(/\n/g, '\r\n'))).toEqual(parseRunmd(lf));
  });

  it('parses lone CR line ends like LF', () => {
    expect(parseRunmd(lf.replace(/\n/g, '\r'))).toEqual(parseRunmd(lf));
  });

  it('ignores a byte order mark without shifting columns', () => {
    const text = block('+ .runtime');
    expect(parseRunmd(`\uFEFF${text}`)).toEqual(parseRunmd(text));
  });

  it('counts a tab as one column', () => {
    const [root] = parseRunmd(block('+\t.proxy\tlocalhost:8578')).blocks[0]?.roots ?? [];
    expect(root).toMatchObject({ indent: 1, input: 'localhost:8578', inputPos: { column: 10 } });
  });
});
