import { readFileSync } from 'fs';
import { join } from 'path';
import { parseRunmd } from '../../../lib/runmd/parse';

const doc = (...lines: string[]): ReturnType<typeof parseRunmd> => parseRunmd(lines.join('\n'));
const names = (...lines: string[]): Array<[string | undefined, string | undefined]> =>
  doc(...lines).blocks.map((block) => [block.event, block.engine]);

describe('parseRunmd fences', () => {
  it('ignores everything outside fenced blocks', () => {
    expect(doc('# Title', '+ .runtime', ': not config', 'text').blocks).toEqual([]);
  });

  it('reads an unnamed block, an event-only block and an event-and-engine block', () => {
    expect(names('```', '```', '``` install', '```', '``` start mirror', '```')).toEqual([
      [undefined, undefined],
      ['install', undefined],
      ['start', 'mirror'],
    ]);
  });

  it('accepts tags with digits, underscores and dashes', () => {
    expect(names('```on-start_2 engine-1', '```')).toEqual([['on-start_2', 'engine-1']]);
  });

  it('accepts fences indented by up to three spaces, with their column', () => {
    const [block] = doc('   ``` start', '   + .runtime', '   ```').blocks;
    expect(block?.pos).toMatchObject({ line: 1, column: 4 });
    expect(block?.roots[0]?.pos).toMatchObject({ line: 2, column: 4 });
  });

  it('treats a fence indented four spaces as documentation', () => {
    expect(doc('    ```', '    + .runtime', '    ```').blocks).toEqual([]);
  });

  it('skips the content of md and runmd blocks without parsing it', () => {
    expect(doc('```md', 'not config at all', '```', '```runmd', '```', '``` start', '```').blocks).toHaveLength(1);
    expect(names('```RunMD', 'x', '```')).toEqual([]);
  });

  it('skips blocks whose tag has characters other than letters, digits, _ and -', () => {
    expect(names('```js title="x"', 'let x = 1;', '```', '```{.python}', 'x', '```', '```c++', '```')).toEqual([]);
  });

  it('treats ~~~ fences as documentation and ``` inside them as text', () => {
    expect(names('~~~', '```', 'x', '~~~')).toEqual([]);
  });

  it('closes a block only with a fence at least as long as the opening one', () => {
    expect(names('````md', '```', 'inside the sample', '```', '````', '``` start', '```')).toEqual([
      ['start', undefined],
    ]);
  });

  it('ignores text after a closing fence as documentation', () => {
    expect(names('``` start', '```', 'after', '``` stop', '```')).toEqual([
      ['start', undefined],
      ['stop', undefined],
    ]);
  });

  it('does not take a line with inline code for a fence', () => {
    expect(names('```start```', '``` start', '```')).toEqual([['start', undefined]]);
  });

  it('reports an unclosed config fence at the opening fence', () => {
    expect(() => doc('text', '  ``` start', '+ .runtime')).toThrow(
      'mirror.runmd:2:3: unclosed code fence: add a line with ``` to close this block',
    );
  });

  it('reports an unclosed md fence at the opening fence', () => {
    expect(() => doc('````md', '```')).toThrow('mirror.runmd:1:1: unclosed code fence: add a line with ```` to close');
  });

  it('reports a named fence inside an open block, which cannot close it', () => {
    expect(() => doc('``` install', '+ .runtime', '``` start', '```')).toThrow(
      'mirror.runmd:3:1: the block opened at line 1 is still open',
    );
  });

  it('reports a fence naming more than an event and an engine at the third word', () => {
    expect(() => doc('``` start mirror now', '```')).toThrow('mirror.runmd:1:18: a fence names at most an event and an engine');
  });
});

describe('docs/runmd.md', () => {
  it('holds only samples, so its examples are skipped as the grammar says', () => {
    const text = readFileSync(join(__dirname, '../../../docs/runmd.md'), 'utf8');
    expect(parseRunmd(text).blocks).toEqual([]);
  });
});

describe('the samples in docs/runmd.md', () => {
  const text = readFileSync(join(__dirname, '../../../docs/runmd.md'), 'utf8');
  const samples = [...text.matchAll(/^````md\n([\s\S]*?)\n````$/gm)].map((match) => match[1] ?? '');

  it.each(samples.map((sample, index) => [index + 1, sample]))('parse without error (sample %i)', (_, sample) => {
    expect(parseRunmd(sample).blocks.length).toBeGreaterThan(0);
  });
});
