/**
 * One challenge of a `WWW-Authenticate` header (RFC 7235 §4.1): a scheme and
 * its auth-params, or a token68 for schemes that use one.
 */
export interface Challenge {
  /** Lowercase: `bearer`, `basic`, … (schemes are case-insensitive, RFC 7235 §2.1). */
  scheme: string;
  /** Parameter names lowercased; quoted values unescaped. */
  params: Record<string, string>;
  token68?: string;
}

// RFC 7230 §3.2.6 tchar, and RFC 7235 §2.1 token68.
const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y;
const SPACES = /[ \t]*/y;
const PARAM_START = /([!#$%&'*+\-.^_`|~0-9A-Za-z]+)[ \t]*=[ \t]*/y;

/** A cursor over the header text. */
class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  match(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.pos;
    const found = pattern.exec(this.text);
    if (found) this.pos = pattern.lastIndex;
    return found;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  /** Skips spaces and list separators (RFC 7230 §7 allows empty list elements). */
  skipSeparators(): void {
    while (this.pos < this.text.length && /[ \t,]/.test(this.text[this.pos]!)) this.pos++;
  }

  atEndOfElement(): boolean {
    this.match(SPACES);
    const next = this.peek();
    return next === undefined || next === ',';
  }
}

/**
 * Parses every challenge in a `WWW-Authenticate` header. Quoted values may
 * hold commas and escaped quotes (`scope="repository:a/b:pull,push"`), and one
 * header may carry several challenges (`Basic realm="x", Bearer realm="y"`).
 *
 * @throws Error naming the position when the header does not follow the grammar.
 */
export function parseChallenges(header: string): Challenge[] {
  const scanner = new Scanner(header);
  const challenges: Challenge[] = [];
  scanner.skipSeparators();
  while (scanner.pos < header.length) {
    const scheme = scanner.match(TOKEN);
    if (!scheme) throw malformed('expected an auth scheme', scanner.pos);
    const challenge: Challenge = { scheme: scheme[0].toLowerCase(), params: {} };
    challenges.push(challenge);
    scanner.match(SPACES);
    readParams(scanner, challenge);
    scanner.skipSeparators();
  }
  return challenges;
}

/** Reads `name=value` pairs (or one token68) until the next challenge starts. */
function readParams(scanner: Scanner, challenge: Challenge): void {
  const start = scanner.pos;
  for (let first = true; isParamAhead(scanner); first = false) {
    const name = scanner.match(PARAM_START)![1]!.toLowerCase();
    const value = readValue(scanner);
    if (value === undefined && first) {
      // `Basic YWxhZGRpbjpvcGVuc2VzYW1l==` looks like a param until its value is missing: a token68.
      scanner.pos = start;
      break;
    }
    if (value === undefined || !scanner.atEndOfElement()) throw malformed('unexpected text', scanner.pos);
    challenge.params[name] = value;
    const end = scanner.pos;
    scanner.skipSeparators();
    if (!isParamAhead(scanner)) {
      scanner.pos = end;
      return;
    }
  }
  if (scanner.match(TOKEN68) && scanner.atEndOfElement()) challenge.token68 = scanner.text.slice(start, scanner.pos).trim();
  else scanner.pos = start;
}

/** True when the text at the cursor is `name=`, i.e. a param of the current challenge. */
function isParamAhead(scanner: Scanner): boolean {
  const start = scanner.pos;
  const found = scanner.match(PARAM_START) !== null;
  scanner.pos = start;
  return found;
}

function malformed(what: string, index: number): Error {
  return new Error(`malformed WWW-Authenticate header: ${what} at character ${index + 1}`);
}

/** A token or a quoted-string (RFC 7230 §3.2.6), unescaped; undefined when neither is there. */
function readValue(scanner: Scanner): string | undefined {
  if (scanner.peek() !== '"') return scanner.match(TOKEN)?.[0];
  let value = '';
  for (let i = scanner.pos + 1; i < scanner.text.length; i++) {
    const char = scanner.text[i]!;
    if (char === '"') {
      scanner.pos = i + 1;
      return value;
    }
    if (char === '\\') {
      i++;
      if (i >= scanner.text.length) break;
      value += scanner.text[i];
    } else {
      value += char;
    }
  }
  throw malformed('unterminated quoted string', scanner.pos);
}
