/**
 * The syntax tree of a runmd document: what `parseRunmd` produces and
 * `compileRunmd` consumes. Positions are 1-based and point at the first
 * character of the construct, so errors can name `file:line:column`.
 */

export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

/** A typed value, written `.symbol x`, `.int 3`, `.bool true`, `.true`, `.empty`, … */
export type TypedValue =
  | { type: 'symbol'; value: string }
  | { type: 'text'; value: string }
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'empty' };

/**
 * One `+` or `:` line.
 *
 * - `: .name input`  → `{ name: 'name', input: 'input' }` (a plugin or property call)
 * - `: key .type v`  → `{ key: 'key', name: 'type', input: 'v', value: {…} }` (a named, typed value)
 */
export interface Line {
  /** The dotted name without its dot: `manifests`, `login`, `symbol`. */
  name: string;
  /** The rest of the line after the name, trimmed, inline `<comments>` removed; '' when absent. */
  input: string;
  /** For `key .type value` lines: the key. */
  key?: string;
  /** For `key .type value` lines (and bare `.true`/`.false` typed lines): the parsed value. */
  value?: TypedValue;
  /** Spaces between the `:`/`+` marker and the name (cosmetic, kept for tools). */
  indent: number;
  pos: SourcePos;
  /** Position of the input's first character (the name's end when there is no input). */
  inputPos: SourcePos;
}

/** A `+ .name input` line and the `:` lines that follow it. */
export interface RootAttribute extends Line {
  properties: Line[];
}

/** A fenced block: `` ``` [event] [engine] `` … `` ``` ``. */
export interface Block {
  /** First identifier after the fence (`start` in `` ``` start mirror ``), if any. */
  event?: string;
  /** Second identifier (`mirror`), if any. */
  engine?: string;
  pos: SourcePos;
  /** `:` lines before the first `+` line of the block. */
  controls: Line[];
  roots: RootAttribute[];
}

export interface RunmdDocument {
  file: string;
  blocks: Block[];
}
