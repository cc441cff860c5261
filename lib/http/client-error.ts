import type { Socket } from 'node:net';
import { ociErrorBody } from '../errors';

/** Node's parser codes that have a more precise status than 400 (as Node's own default handler maps them). */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * The server's `clientError` listener: a request Node's HTTP parser refuses
 * (a method it does not know, bytes a request line may not hold, oversized
 * headers) never reaches Express, so Node would answer it with an empty
 * body. The mirror answers it with an OCI error body like every other
 * answer, then closes the connection (the parser cannot find the next request).
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable || (error.code === 'ECONNRESET' && socket.destroyed)) {
    socket.destroy();
    return;
  }
  const status = STATUS_BY_CODE[error.code ?? ''] ?? 400;
  const body = ociErrorBody('UNSUPPORTED', 'malformed HTTP request', { reason: error.code ?? 'parse error' });
  const head = [`HTTP/1.1 ${status} ${REASONS[status] ?? 'Bad Request'}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}
