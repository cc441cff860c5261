/** An inclusive byte range of a representation. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Reads a `Range` header against a representation of `size` bytes (RFC 9110
 * §14.1.2): one `bytes=a-b`, `bytes=a-` or `bytes=-n` range. Returns
 * `undefined` when the whole representation should be sent (no header, a
 * unit other than bytes, several ranges or a syntax error, which a server
 * may ignore), and `'unsatisfiable'` for a range that starts past the end (416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  // Range units are case-insensitive (RFC 9110 section 14.1): `Bytes=0-` is a byte range.
  const match = /^bytes=(\d*)-(\d*)$/i.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const first = match[1] === '' ? undefined : Number(match[1]);
  const last = match[2] === '' ? undefined : Number(match[2]);
  if (first === undefined) {
    // A suffix range: the last n bytes.
    if (last === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - (last ?? 0)), end: size - 1 };
  }
  if (last !== undefined && last < first) return undefined;
  if (first >= size) return 'unsatisfiable';
  return { start: first, end: Math.min(last ?? size - 1, size - 1) };
}

/** True when an `If-Range` validator allows the range: it must name the blob's digest as its ETag. */
export function ifRangeMatches(ifRange: string | undefined, digest: string): boolean {
  return ifRange === undefined || ifRange.trim() === `"${digest}"`;
}
