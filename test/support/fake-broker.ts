import * as net from 'node:net';

/**
 * A fake Kafka broker on 127.0.0.1:0 that frames requests by their 4-byte size and hands each one
 * (without the size) to `onRequest`, with the socket to answer on. Tests decide every answer.
 */
export async function fakeBroker(onRequest: (frame: Buffer, sock: net.Socket) => void): Promise<{ port: number; readonly connections: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((sock) => {
    connections++;
    sockets.add(sock);
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const size = buf.readInt32BE(0);
        onRequest(buf.subarray(4, 4 + size), sock);
        buf = buf.subarray(4 + size);
      }
    });
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return connections;
    },
    close: () => {
      sockets.forEach((s) => s.destroy());
      return new Promise<void>((res) => server.close(() => res()));
    },
  };
}
