/**
 * A reader for the small part of YAML that k3s/rke2 `registries.yaml` uses:
 * block mappings, block sequences of scalars, flow sequences of scalars,
 * `{}`, quoted and plain scalars, comments. Anything else (anchors, tags,
 * block scalars, multi-line scalars, several documents, mappings inside a
 * list) is refused with its line, so a file is never half understood and
 * then rewritten wrongly.
 */

/** An unquoted scalar, kept as written (`true`, `5000`, `yes`) so it is written back unchanged. */
export class PlainScalar {
  constructor(readonly text: string) {}
}

/** A value of the subset: a quoted string, a plain scalar, a list or an ordered mapping. */
export type YamlValue = string | PlainScalar | YamlValue[] | YamlMap;
export type YamlMap = Map<string, YamlValue>;

/** Where and why the text is outside the subset. */
export class YamlSubsetError extends Error {
  override name = 'YamlSubsetError';
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

interface SourceLine {
  indent: number;
  text: string;
  line: number;
}

/** Parses a document of the subset; an empty document is an empty mapping. */
export function parseYamlSubset(text: string): YamlValue {
  const lines = sourceLines(text);
  if (lines.length === 0) return new Map();
  const reader = new BlockReader(lines);
  const value = reader.block(lines[0]!.indent);
  const extra = lines[reader.index];
  if (extra) throw new YamlSubsetError(extra.line, 'unexpected indentation');
  return value;
}

function sourceLines(text: string): SourceLine[] {
  const out: SourceLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const indent = /^ */.exec(raw)![0].length;
    if (raw[indent] === '\t') throw new YamlSubsetError(line, 'a tab indents this line');
    const body = stripComment(raw.slice(indent), line).trimEnd();
    if (body === '') return;
    if (body === '---' && out.length === 0) return;
    if (body === '---' || body === '...' || body.startsWith('%')) throw new YamlSubsetError(line, 'more than one document');
    out.push({ indent, text: body, line });
  });
  return out;
}

/** Drops a `#` comment: at the start, or after a space, outside quotes. */
function stripComment(text: string, line: number): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === '"' && c === '\\') i++;
    else if (quote && c === quote) quote = undefined;
    else if (!quote && (c === '"' || c === "'") && (i === 0 || /[\s[,:-]/.test(text[i - 1]!))) quote = c;
    else if (!quote && c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) return text.slice(0, i);
  }
  if (quote) throw new YamlSubsetError(line, 'a quoted scalar does not end on its line');
  return text;
}

const isItem = (l: SourceLine): boolean => l.text === '-' || l.text.startsWith('- ');

class BlockReader {
  index = 0;
  constructor(private readonly lines: readonly SourceLine[]) {}

  block(indent: number): YamlValue {
    return isItem(this.lines[this.index]!) ? this.sequence(indent) : this.mapping(indent);
  }

  private mapping(indent: number): YamlMap {
    const map: YamlMap = new Map();
    for (let l = this.lines[this.index]; l && l.indent === indent && !isItem(l); l = this.lines[this.index]) {
      const { key, rest } = splitKey(l);
      if (map.has(key)) throw new YamlSubsetError(l.line, `"${key}" appears twice`);
      this.index++;
      map.set(key, rest === '' ? this.nested(indent, true) : inlineValue(rest, l.line));
    }
    return map;
  }

  private sequence(indent: number): YamlValue[] {
    const list: YamlValue[] = [];
    for (let l = this.lines[this.index]; l && l.indent === indent && isItem(l); l = this.lines[this.index]) {
      const rest = l.text.slice(1).trim();
      this.index++;
      if (rest !== '' && /^[^"'[{][^:]*:(\s|$)/.test(rest)) throw new YamlSubsetError(l.line, 'a mapping inside a list');
      list.push(rest === '' ? this.nested(indent, false) : inlineValue(rest, l.line));
    }
    return list;
  }

  /** The value of `key:` or `-` with nothing after it: a deeper block, a list at the same indent (`key:\n- a`), or empty. */
  private nested(indent: number, allowSameIndentList: boolean): YamlValue {
    const next = this.lines[this.index];
    if (next && next.indent > indent) return this.block(next.indent);
    if (next && allowSameIndentList && next.indent === indent && isItem(next)) return this.sequence(indent);
    return new PlainScalar('');
  }
}

function splitKey(l: SourceLine): { key: string; rest: string } {
  const quoted = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*')\s*:(?:\s+|$)/.exec(l.text);
  if (quoted) return { key: scalarText(quoted[1]!, l.line), rest: l.text.slice(quoted[0].length).trim() };
  // A plain key may hold a `:` not followed by a space (`registry.example:5000`).
  const plain = /^([^\s"'#&*!|>%@`?{}[\],](?:[^:]|:(?=\S))*?)\s*:(?:\s+|$)/.exec(l.text);
  if (!plain) throw new YamlSubsetError(l.line, 'not a "key: value" line');
  return { key: plain[1]!, rest: l.text.slice(plain[0].length).trim() };
}

function inlineValue(text: string, line: number): YamlValue {
  if (text === '{}') return new Map();
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw new YamlSubsetError(line, 'a flow list does not end on its line');
    const inner = text.slice(1, -1).trim();
    if (inner === '') return [];
    return (inner.match(/"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^,]+/g) ?? []).map((s) => s.trim()).filter((s) => s !== '').map((s) => {
      if (/^[[{]/.test(s)) throw new YamlSubsetError(line, 'a nested flow collection');
      return scalar(s, line);
    });
  }
  if (/^[{&*!|>%@`]/.test(text)) throw new YamlSubsetError(line, `"${text[0]}" starts YAML this tool does not read`);
  if (/:\s/.test(text) && !/^["']/.test(text)) throw new YamlSubsetError(line, 'a mapping on a value line');
  return scalar(text, line);
}

function scalar(text: string, line: number): string | PlainScalar {
  return /^["']/.test(text) ? scalarText(text, line) : new PlainScalar(text);
}

/** A quoted scalar's value: `'…'` with `''` for a quote; `"…"` with the escapes JSON shares with YAML. */
function scalarText(text: string, line: number): string {
  if (/^'(?:[^']|'')*'$/.test(text)) return text.slice(1, -1).replaceAll("''", "'");
  if (/^"(?:[^"\\]|\\.)*"$/.test(text)) {
    try {
      return JSON.parse(text) as string;
    } catch {
      throw new YamlSubsetError(line, `an escape this tool does not read in ${text}`);
    }
  }
  if (/^["']/.test(text)) throw new YamlSubsetError(line, `text after a quoted scalar: ${text}`);
  return text;
}
