import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

/** Largest read from an upstream socket. */
const READ_BYTES = 1024 * 1024;

/**
 * The buffer every plain-HTTP upstream socket reads into. One is enough:
 * a read is handed to the HTTP parser synchronously, and the parser copies
 * what it keeps (header strings, body chunks) before the next read of any
 * socket can happen.
 */
let readBuffer: Buffer | undefined;

/**
 * A keep-alive agent whose sockets read up to 1 MiB per system call.
 * Node.js otherwise reads a socket 64 KiB at a time into a new buffer: a
 * 256 MiB blob took 4096 reads, each a JavaScript callback, an HTTP parser
 * call and a body chunk that the cache write and every client write handle
 * separately. With `onread` the socket reads into a buffer of ours and hands
 * us the bytes; emitting them as `data` feeds the HTTP client's parser as
 * before, and `pause()` (the response body's backpressure) still stops reading.
 */
export class LargeReadAgent extends http.Agent {
  override createConnection(options: http.ClientRequestArgs): Duplex {
    readBuffer ??= Buffer.allocUnsafeSlow(READ_BYTES);
    const socket: net.Socket = net.createConnection({
      ...(options as net.NetConnectOpts),
      onread: {
        buffer: readBuffer,
        callback: (bytes, buffer) => {
          socket.emit('data', Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
          return !socket.isPaused();
        },
      },
    } as net.NetConnectOpts);
    return socket;
  }
}
