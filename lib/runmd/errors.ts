import type { SourcePos } from './ast';

/**
 * A mistake in a runmd document. The message always starts with
 * `file:line:column:` so editors and people can jump to it.
 */
export class RunmdError extends Error {
  override readonly name = 'RunmdError';
  readonly pos: SourcePos;
  /** The message without the position prefix. */
  readonly reason: string;

  constructor(pos: SourcePos, reason: string, options?: { cause?: unknown }) {
    super(`${pos.file}:${pos.line}:${pos.column}: ${reason}`, options);
    this.pos = pos;
    this.reason = reason;
  }
}
