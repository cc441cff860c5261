import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../lib/log';

/** A real mirror logger (with its redaction) whose lines a test can read back. */
export interface CapturedLogger {
  logger: Logger;
  text(): string;
}

export function captureLogger(level = 'debug'): CapturedLogger {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ level, destination }), text: () => lines.join('') };
}
