import * as net from 'node:net';

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A free port the OS picks. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A base port such that base..base+span-1 are all free now (for a cluster's brokers and controllers).
 * Chosen below the kernel's ephemeral range (32768 and up by default): a port there can be taken by
 * any outgoing connection between our check and the broker's bind.
 */
export async function freePortBase(span = 40, from = 20000, to = ephemeralStart()): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor((Math.random() * (to - from)) / span) * span;
    const checks = await Promise.all(Array.from({ length: span }, (_, i) => canListen(base + i)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error(`no free block of ${span} ports found between ${from} and ${to}`);
}

function ephemeralStart(): number {
  try {
    const first = Number(require('node:fs').readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (first > 21000) return first - 1;
  } catch {
    // not Linux: keep the usual default
  }
  return 32767;
}
