import { RunmdError } from '../../../lib/runmd/errors';
import { parseRunmd } from '../../../lib/runmd/parse';

/** The RunmdError thrown for a block holding the given lines (the first is on line 2). */
const errorFor = (...lines: string[]): RunmdError => {
  try {
    parseRunmd(['```', ...lines, '```'].join('\n'), 'm.runmd');
  } catch (error) {
    if (error instanceof RunmdError) return error;
    throw error;
  }
  throw new Error('expected a RunmdError');
};
const where = (error: RunmdError): [number, number] => [error.pos.line, error.pos.column];

describe('parseRunmd errors', () => {
  it('prefixes the message with file:line:column', () => {
    const error = errorFor('+ .timeout', ': limit .int abc');
    expect(error.message).toBe('m.runmd:3:14: ".int" expects a whole number, found "abc"');
  });

  it('reports the column of a bad .int value', () => {
    expect(where(errorFor('  :   limit   .int   3.5'))).toEqual([2, 22]);
  });

  it('reports the column of a bad .bool value', () => {
    const error = errorFor(': verify .bool maybe');
    expect(where(error)).toEqual([2, 16]);
    expect(error.reason).toBe('".bool" expects true or false, found "maybe"');
  });

  it('reports a missing value just past the type word', () => {
    const error = errorFor(': retries .int');
    expect(where(error)).toEqual([2, 15]);
    expect(error.reason).toBe('".int" expects a whole number, found nothing');
  });

  it('reports input after a type word that takes none', () => {
    expect(errorFor(': skip .true yes').reason).toBe('".true" takes no value, found "yes"');
  });

  it('reports a key without a dotted type at the key', () => {
    const error = errorFor(': key something');
    expect(where(error)).toEqual([2, 3]);
    expect(error.reason).toMatch(/^expected \.name after ':', found "key"/);
  });

  it('reports a marker with nothing after it', () => {
    const error = errorFor('+');
    expect(where(error)).toEqual([2, 2]);
    expect(error.reason).toBe("expected .name after '+'");
  });

  it('reports a line that is neither + nor : nor a comment', () => {
    const error = errorFor('+ .runtime', '  mirror example');
    expect(where(error)).toEqual([3, 3]);
    expect(error.reason).toBe(`expected a line starting with '+' or ':', found "mirror example"`);
  });

  it('reports an unknown value type with a suggestion', () => {
    const error = errorFor(': work_dir .symbl x');
    expect(where(error)).toEqual([2, 12]);
    expect(error.reason).toBe('unknown value type ".symbl" for "work_dir" (did you mean ".symbol"?)');
  });

  it('lists the value types when nothing is close', () => {
    expect(errorFor(': key .println x').reason).toMatch(/expected one of \.symbol, \.text, .*\.empty$/);
  });

  it('reports a dot without a name', () => {
    const error = errorFor(': . x');
    expect([...where(error), error.reason]).toEqual([2, 3, "expected a name after '.'"]);
  });

  it('reports a name that breaks the naming rule', () => {
    expect(where(errorFor('+ .runtime', ': .9lives'))).toEqual([3, 3]);
    expect(errorFor('+ .login.acr').reason).toMatch(/^invalid name "\.login\.acr"/);
  });

  it('reports an invalid key', () => {
    expect(errorFor(': 9key .int 3').reason).toMatch(/^invalid key "9key"/);
  });

  it('reports the same position for CRLF input', () => {
    const text = ['# doc', '``` start', '+ .timer', ': every .float soon', '```'];
    const lf = () => parseRunmd(text.join('\n'));
    const crlf = () => parseRunmd(text.join('\r\n'));
    expect(lf).toThrow('mirror.runmd:4:16:');
    expect(crlf).toThrow('mirror.runmd:4:16:');
  });
});
