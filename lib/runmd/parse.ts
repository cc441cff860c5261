import type { Block, Line, RootAttribute, RunmdDocument, SourcePos } from './ast';
import { RunmdError } from './errors';
import { suggest } from './suggest';
import { isValueType, parseTypedValue, VALUE_TYPES } from './values';

// CommonMark fences: up to 3 spaces of indent, then 3+ backticks or tildes.
const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;
// An info string made only of these characters names a config block; any
// other (`js title=x`, `{.python}`) marks a code sample in the documentation.
const TAG = /^[A-Za-z0-9_-]+$/;
const SKIPPED_TAGS = ['md', 'runmd'];
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const NAME_RULE = "a name starts with a letter or '_' and goes on with letters, digits, '_' or '-'";
// Only well-formed `<…>` pairs are comments; a lone `<` is text.
const INLINE_COMMENT = /<[^<>]*>/g;
const INLINE_COMMENT_AND_SPACE = /[ \t]*<[^<>]*>/g;
const COMMENT_LINE = /^(#|-|\*|\/\/)/;

interface Fence {
  char: string;
  length: number;
  /** 0-based index of the first fence character. */
  start: number;
  info: string;
}

/** An open fence; `block` is absent when its content is documentation. */
interface OpenFence {
  fence: Fence;
  pos: SourcePos;
  block?: Block;
}

interface Token {
  text: string;
  /** 0-based index of the first character. */
  start: number;
  end: number;
}

/**
 * Parses a runmd document into its syntax tree. Pure: no I/O, no plugin
 * lookups (those belong to the compiler).
 *
 * Only fenced code blocks are configuration; see docs/runmd.md for the grammar.
 * CRLF and lone-CR line ends parse exactly like LF, and a leading BOM is ignored.
 *
 * @param text the document
 * @param file the name used in positions and error messages
 * @throws {RunmdError} at the first mistake, with its line and column
 */
export function parseRunmd(text: string, file = 'mirror.runmd'): RunmdDocument {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n?|\n/);
  const blocks: Block[] = [];
  let open: OpenFence | undefined;
  for (const [index, raw] of lines.entries()) {
    const at = (column: number): SourcePos => ({ file, line: index + 1, column });
    if (open === undefined) {
      open = openFence(raw, at);
      if (open?.block) blocks.push(open.block);
    } else if (closes(open.fence, raw)) {
      open = undefined;
    } else if (open.block) {
      readConfigLine(open.block, raw, at);
    }
  }
  if (open) {
    const bare = open.fence.char.repeat(open.fence.length);
    throw new RunmdError(open.pos, `unclosed code fence: add a line with ${bare} to close this block`);
  }
  return { file, blocks };
}

function readFence(raw: string): Fence | undefined {
  const match = FENCE.exec(raw);
  const [, indent = '', marks = '', info = ''] = match ?? [];
  // CommonMark: a backtick fence's info string may not contain a backtick
  // (that line is inline code, not a fence).
  if (!match || (marks.startsWith('`') && info.includes('`'))) return undefined;
  return { char: marks.charAt(0), length: marks.length, start: indent.length, info };
}

function closes(open: Fence, raw: string): boolean {
  const fence = readFence(raw);
  return fence?.char === open.char && fence.length >= open.length && fence.info.trim() === '';
}

function openFence(raw: string, at: (column: number) => SourcePos): OpenFence | undefined {
  const fence = readFence(raw);
  if (!fence) return undefined;
  const pos = at(fence.start + 1);
  const infoStart = fence.start + fence.length;
  const words = tokens(raw, infoStart);
  const [event, engine, extra] = words.map((word) => word.text);
  const isSample =
    fence.char === '~' ||
    (event !== undefined && SKIPPED_TAGS.includes(event.toLowerCase())) ||
    words.some((word) => !TAG.test(word.text));
  if (isSample) return { fence, pos };
  if (extra !== undefined) {
    const column = (words[2]?.start ?? infoStart) + 1;
    const reason = `a fence names at most an event and an engine ("\`\`\` start mirror")`;
    throw new RunmdError(at(column), `${reason}, found "${fence.info.trim()}"`);
  }
  const block: Block = { pos, controls: [], roots: [] };
  if (event !== undefined) block.event = event;
  if (engine !== undefined) block.engine = engine;
  return { fence, pos, block };
}

function readConfigLine(block: Block, raw: string, at: (column: number) => SourcePos): void {
  const clean = raw.replace(INLINE_COMMENT, (comment) => ' '.repeat(comment.length));
  const start = clean.search(/[^ \t]/);
  if (start < 0 || COMMENT_LINE.test(clean.slice(start))) return;
  if (readFence(raw)) {
    const opened = block.pos.line;
    const reason = `the block opened at line ${opened} is still open: close it with a bare fence first`;
    throw new RunmdError(at(start + 1), reason);
  }
  const marker = clean.charAt(start);
  if (marker !== '+' && marker !== ':') {
    throw new RunmdError(at(start + 1), `expected a line starting with '+' or ':', found "${clean.trim()}"`);
  }
  const line = parseLine(clean, raw, start, at);
  const root = block.roots[block.roots.length - 1];
  // `:` lines before the block's first `+` are the block's own settings.
  if (marker === '+') block.roots.push({ ...line, properties: [] } satisfies RootAttribute);
  else if (root) root.properties.push(line);
  else block.controls.push(line);
}

/**
 * Reads `+ .name input`, `: .name input` or `: key .type value`. `clean` is
 * `raw` with inline comments blanked out, so indexes in both agree.
 */
function parseLine(clean: string, raw: string, marker: number, at: (column: number) => SourcePos): Line {
  const [first, second] = tokens(clean, marker + 1);
  const sign = clean.charAt(marker);
  const after = `expected .name after '${sign}'`;
  if (!first) throw new RunmdError(at(marker + 2), after);
  const indent = first.start - marker - 1;
  const pos = at(marker + 1);
  if (first.text.startsWith('.')) {
    const name = readName(first, at);
    return withValue({ name, ...readInput(clean, raw, first.end, at), indent, pos });
  }
  if (!second?.text.startsWith('.')) {
    const hint = `a call is written "${sign} .name input", a named value "${sign} key .type value"`;
    throw new RunmdError(at(first.start + 1), `${after}, found "${first.text}" (${hint})`);
  }
  if (!NAME.test(first.text)) {
    throw new RunmdError(at(first.start + 1), `invalid key "${first.text}": ${NAME_RULE}`);
  }
  const type = readName(second, at);
  if (!isValueType(type)) {
    const near = suggest(type, VALUE_TYPES);
    const hint = near ? ` (did you mean ".${near}"?)` : `; expected one of .${VALUE_TYPES.join(', .')}`;
    throw new RunmdError(at(second.start + 1), `unknown value type ".${type}" for "${first.text}"${hint}`);
  }
  return withValue({ key: first.text, name: type, ...readInput(clean, raw, second.end, at), indent, pos });
}

/** Parses the value of a line whose name is a type word (`.int 3`, `.true`). */
function withValue(line: Line): Line {
  if (!isValueType(line.name)) return line;
  return { ...line, value: parseTypedValue(line.name, line.input, line.inputPos) };
}

function readName(token: Token, at: (column: number) => SourcePos): string {
  const name = token.text.slice(1);
  if (name === '') throw new RunmdError(at(token.start + 1), "expected a name after '.'");
  if (!NAME.test(name)) throw new RunmdError(at(token.start + 1), `invalid name ".${name}": ${NAME_RULE}`);
  return name;
}

function readInput(clean: string, raw: string, nameEnd: number, at: (column: number) => SourcePos) {
  const [next] = tokens(clean, nameEnd);
  const input = raw.slice(nameEnd).replace(INLINE_COMMENT_AND_SPACE, '').trim();
  return { input, inputPos: at((next?.start ?? nameEnd) + 1) };
}

/** The space- or tab-separated words of `text` from index `from` on. */
function tokens(text: string, from: number): Token[] {
  const found: Token[] = [];
  for (const match of text.slice(from).matchAll(/[^ \t]+/g)) {
    const start = from + (match.index ?? 0);
    found.push({ text: match[0], start, end: start + match[0].length });
  }
  return found;
}
