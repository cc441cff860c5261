import net from 'node:net';

/** A TCP relay that passes answers on at a bounded rate. */
export interface ThrottledRelay {
  host: string;
  url: string;
  /** Answer bytes passed to clients so far. */
  relayed(): number;
  close(): Promise<void>;
}

/**
 * Relays loopback TCP connections to `target` (`127.0.0.1:PORT`), passing the
 * target's answers on at about `bytesPerSecond`. It lets a test act in the
 * middle of a large body (stop the server behind it) on a fast loopback; when
 * the target closes a connection, the relay closes the client's side too.
 */
export async function startThrottledRelay(target: string, bytesPerSecond: number): Promise<ThrottledRelay> {
  const [targetHost, targetPort] = target.split(':') as [string, string];
  let relayed = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(targetPort), targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      relayed += chunk.length;
      upstream.pause();
      client.write(chunk, () => setTimeout(() => upstream.resume(), (chunk.length / bytesPerSecond) * 1000));
    });
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    relayed: () => relayed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
