import * as net from 'node:net';
import { Reader, Writer } from '../../src/kafka/protocol/wire';

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

/** A flexible request as a fake broker sees it: header v2 read, the body's bytes in hex. */
export interface FlexibleRequest {
  apiKey: number;
  version: number;
  correlationId: number;
  body: string;
}

/**
 * A fake broker for flexible requests: `answer` gets each request (header v2 read) and returns the
 * response body, which is sent behind a response header v1.
 */
export function fakeFlexibleBroker(answer: (req: FlexibleRequest) => Buffer): ReturnType<typeof fakeBroker> {
  return fakeBroker((frame, sock) => {
    const r = new Reader(frame);
    const apiKey = r.int16();
    const version = r.int16();
    const correlationId = r.int32();
    r.nullableString(); // client id
    r.skipTaggedFields();
    const body = answer({ apiKey, version, correlationId, body: frame.subarray(r.offset).toString('hex') });
    const head = new Writer(8).int32(body.length + 5).int32(correlationId).emptyTaggedFields().toBuffer();
    sock.write(Buffer.concat([head, body]));
  });
}
