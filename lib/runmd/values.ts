import type { SourcePos, TypedValue } from './ast';
import { RunmdError } from './errors';

/**
 * The type words of lifec's typed values. `.true`/`.enable`, `.false`/`.disable`
 * and `.empty` carry their value in the word itself; the others read the input.
 */
export const VALUE_TYPES = [
  'symbol',
  'text',
  'int',
  'float',
  'bool',
  'true',
  'false',
  'enable',
  'disable',
  'empty',
] as const;

/** One of {@link VALUE_TYPES}. */
export type ValueType = (typeof VALUE_TYPES)[number];

/** Whether `name` (without its dot) is a typed-value type word. */
export function isValueType(name: string): name is ValueType {
  return (VALUE_TYPES as readonly string[]).includes(name);
}

// Whole numbers only: `3.0`, `0x10` and `1e3` are rejected so that a count
// or a timeout never silently means something else than what was written.
const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads the input of a typed value, e.g. `.int 3` → `{ type: 'int', value: 3 }`.
 *
 * @param type  the type word, without its dot
 * @param input the trimmed text after the type word ('' when absent)
 * @param pos   where the input starts (or where it would start), for errors
 * @throws {RunmdError} when the input does not fit the type
 */
export function parseTypedValue(type: ValueType, input: string, pos: SourcePos): TypedValue {
  switch (type) {
    case 'true':
    case 'enable':
      return flag(type, true, input, pos);
    case 'false':
    case 'disable':
      return flag(type, false, input, pos);
    case 'empty':
      expectNoInput(type, input, pos);
      return { type: 'empty' };
    case 'bool':
      return parseBool(input, pos);
    case 'int':
      return { type: 'int', value: parseNumber(type, INT, 'a whole number', input, pos) };
    case 'float':
      return { type: 'float', value: parseNumber(type, FLOAT, 'a number', input, pos) };
    case 'symbol':
      return { type: 'symbol', value: requireInput(type, 'a symbol', input, pos) };
    case 'text':
      // Text may be empty: `: greeting .text` is an empty string, not a mistake.
      return { type: 'text', value: input };
  }
}

function flag(type: ValueType, value: boolean, input: string, pos: SourcePos): TypedValue {
  expectNoInput(type, input, pos);
  return { type: 'bool', value };
}

function expectNoInput(type: ValueType, input: string, pos: SourcePos): void {
  if (input !== '') {
    throw new RunmdError(pos, `".${type}" takes no value, found "${input}"`);
  }
}

function parseBool(input: string, pos: SourcePos): TypedValue {
  if (input === 'true' || input === 'false') return { type: 'bool', value: input === 'true' };
  throw new RunmdError(pos, `".bool" expects true or false, ${found(input)}`);
}

function parseNumber(
  type: ValueType,
  syntax: RegExp,
  expected: string,
  input: string,
  pos: SourcePos,
): number {
  const value = Number(input);
  const fits = syntax.test(input) && (type === 'int' ? Number.isSafeInteger(value) : Number.isFinite(value));
  if (!fits) throw new RunmdError(pos, `".${type}" expects ${expected}, ${found(input)}`);
  return value;
}

function requireInput(type: ValueType, expected: string, input: string, pos: SourcePos): string {
  if (input === '') throw new RunmdError(pos, `".${type}" expects ${expected}, found nothing`);
  return input;
}

function found(input: string): string {
  return input === '' ? 'found nothing' : `found "${input}"`;
}
