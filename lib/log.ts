import pino, { type Logger } from 'pino';

export type { Logger };
export type LogFormat = 'json' | 'pretty';

/**
 * Paths the logger never prints: credentials in request headers, token
 * answers and config values. Applied to every log line, so a mistake in a
 * log call cannot leak a secret.
 */
export const REDACTED_PATHS = [
  'authorization',
  'password',
  'token',
  'refreshToken',
  'accessToken',
  '*.authorization',
  '*.Authorization',
  '*.password',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.refreshToken',
  '*.accessToken',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
];

export interface LoggerOptions {
  level?: string;
  format?: LogFormat;
  destination?: NodeJS.WritableStream;
}

/** The mirror's structured logger: JSON lines by default, one human-readable line per event with `pretty`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const destination = options.destination ?? process.stderr;
  const base = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: undefined };
  if (options.format === 'pretty') {
    return pino({ ...base, timestamp: false, formatters: { level: (label: string) => ({ level: label }) } }, prettyStream(destination));
  }
  return pino({ ...base, timestamp: pino.stdTimeFunctions.isoTime }, jsonDestination(destination));
}

/**
 * The process's stderr gets pino's asynchronous file-descriptor writer:
 * `process.stderr` writes each line synchronously when it is a file or a
 * TTY, which was the largest single cost of a cached manifest HEAD (one
 * access-log line per request, ~30 µs of write(2) on the request's path).
 * Lines written while a write is in flight are joined into the next one;
 * none waits for a buffer to fill, and pino flushes what is left on exit.
 */
function jsonDestination(destination: NodeJS.WritableStream): pino.DestinationStream {
  if (destination !== process.stderr) return destination as pino.DestinationStream;
  return pino.destination({ dest: process.stderr.fd, sync: false, minLength: 0 });
}

/**
 * A minimal human format (`level msg key=value …`) without a second
 * dependency. Values come from requests (paths, `ns`), so a plain value is
 * printed bare only when it holds nothing that could forge a line or a field
 * (control characters such as CR/LF or ANSI escapes, spaces, quotes); any
 * other is quoted and escaped the way the JSON format escapes it.
 */
function prettyStream(destination: NodeJS.WritableStream): pino.DestinationStream {
  return {
    write(line: string): void {
      const { level, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const fields = Object.entries(rest)
        .map(([k, v]) => `${escapeLogText(k)}=${typeof v === 'string' ? prettyValue(v) : escapeLogText(JSON.stringify(v) ?? 'undefined')}`)
        .join(' ');
      destination.write(`${String(level).padEnd(5)} ${escapeLogText(String(msg ?? ''))}${fields ? ` ${fields}` : ''}\n`);
    },
  };
}

/** A string value bare when harmless, else JSON-quoted with every control character escaped. */
function prettyValue(value: string): string {
  return /^[^\s"\\\x00-\x1f\x7f-\x9f\u2028\u2029]*$/.test(value) && value !== '' ? value : escapeLogText(JSON.stringify(value));
}

/**
 * Escapes what JSON.stringify leaves raw but a terminal still obeys (DEL, the
 * C1 controls such as the 8-bit CSI, the Unicode line separators) and any
 * raw control character, as `\uXXXX`.
 */
function escapeLogText(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A logger that drops everything; the default when a library user passes none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
