/**
 * Deterministic POSIX ustar archives (POSIX.1-1988 header layout): entries sorted
 * by name, mtime 0, uid/gid 0, no user or group names, so the same input gives the
 * same bytes on every machine.
 */

/** A file (with `content`) or a directory (name ending in '/'). */
export interface TarEntry {
  name: string;
  content?: Buffer;
  /** Permission bits; default 0o644 for files, 0o755 for directories. */
  mode?: number;
}

/** 512-byte blocks: a header, then the data padded to a block boundary. */
export const BLOCK = 512;

function octal(value: number, width: number): string {
  // width-1 octal digits then NUL, as ustar numeric fields are written.
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** The 512-byte ustar header of one entry. */
export function tarHeader(name: string, size: number, mode: number, directory: boolean): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long for ustar: ${name}`);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(mode, 8), 100);
  header.write(octal(0, 8), 108); // uid
  header.write(octal(0, 8), 116); // gid
  header.write(octal(size, 12), 124);
  header.write(octal(0, 12), 136); // mtime: the epoch
  header.write('        ', 148); // checksum is computed with its own field as spaces
  header.write(directory ? '5' : '0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return header;
}

/** Zero bytes that pad `size` up to a whole block. */
export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

/** A whole archive in memory (for small layers). */
export function buildTar(entries: TarEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const parts: Buffer[] = [];
  for (const entry of sorted) {
    const directory = entry.name.endsWith('/');
    const content = entry.content ?? Buffer.alloc(0);
    parts.push(tarHeader(entry.name, content.length, entry.mode ?? (directory ? 0o755 : 0o644), directory));
    parts.push(content, padding(content.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}
