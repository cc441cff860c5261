import type { SourcePos } from '../../../lib/runmd/ast';
import { RunmdError } from '../../../lib/runmd/errors';
import { isValueType, parseTypedValue, VALUE_TYPES } from '../../../lib/runmd/values';

const pos: SourcePos = { file: 'v.runmd', line: 4, column: 9 };

describe('parseTypedValue', () => {
  it.each([
    ['symbol', '.world/x', { type: 'symbol', value: '.world/x' }],
    ['text', 'any text', { type: 'text', value: 'any text' }],
    ['text', '', { type: 'text', value: '' }],
    ['int', '3', { type: 'int', value: 3 }],
    ['int', '-12', { type: 'int', value: -12 }],
    ['float', '2.5', { type: 'float', value: 2.5 }],
    ['float', '2', { type: 'float', value: 2 }],
    ['float', '1e3', { type: 'float', value: 1000 }],
    ['bool', 'true', { type: 'bool', value: true }],
    ['bool', 'false', { type: 'bool', value: false }],
    ['true', '', { type: 'bool', value: true }],
    ['enable', '', { type: 'bool', value: true }],
    ['false', '', { type: 'bool', value: false }],
    ['disable', '', { type: 'bool', value: false }],
    ['empty', '', { type: 'empty' }],
  ] as const)('reads .%s "%s"', (type, input, value) => {
    expect(parseTypedValue(type, input, pos)).toEqual(value);
  });

  it.each([
    ['int', 'abc', '".int" expects a whole number, found "abc"'],
    ['int', '3.0', '".int" expects a whole number, found "3.0"'],
    ['int', '0x10', '".int" expects a whole number, found "0x10"'],
    ['int', '9007199254740993', '".int" expects a whole number, found "9007199254740993"'],
    ['int', '', '".int" expects a whole number, found nothing'],
    ['float', 'NaN', '".float" expects a number, found "NaN"'],
    ['float', 'Infinity', '".float" expects a number, found "Infinity"'],
    ['bool', 'maybe', '".bool" expects true or false, found "maybe"'],
    ['bool', 'TRUE', '".bool" expects true or false, found "TRUE"'],
    ['symbol', '', '".symbol" expects a symbol, found nothing'],
    ['true', 'yes', '".true" takes no value, found "yes"'],
    ['empty', 'x', '".empty" takes no value, found "x"'],
  ] as const)('rejects .%s "%s"', (type, input, reason) => {
    expect(() => parseTypedValue(type, input, pos)).toThrow(new RunmdError(pos, reason));
  });

  it('reports a bad value at the position it is given', () => {
    expect(() => parseTypedValue('int', 'abc', pos)).toThrow(/^v\.runmd:4:9: /);
  });
});

describe('isValueType', () => {
  it('knows every type word and nothing else', () => {
    expect(VALUE_TYPES.every(isValueType)).toBe(true);
    expect(isValueType('println')).toBe(false);
    expect(isValueType('Symbol')).toBe(false);
  });
});
