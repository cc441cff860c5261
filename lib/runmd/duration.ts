import type { SourcePos } from './ast';
import { RunmdError } from './errors';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `500ms`, `5s`, `2m`, `1h` (or `10 s`) into milliseconds. */
export function parseDuration(text: string, pos: SourcePos): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(text.trim());
  const unit = match?.[2];
  if (!match || unit === undefined) throw new RunmdError(pos, `"${text}" is not a duration (e.g. 500ms, 5s, 2m)`);
  return Math.round(Number(match[1]) * (UNITS[unit] ?? 1));
}
