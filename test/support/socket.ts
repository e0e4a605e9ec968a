import { io, Socket } from 'socket.io-client';
import { sharedLab } from './lab';

/** A socket.io client on the shared server's /lab namespace, connected. */
export function connect(token = sharedLab().token): Promise<Socket> {
  const s = io(`${sharedLab().url}/lab`, { auth: { token }, transports: ['websocket'] });
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

/** Subscribes and resolves on `{ ok: true }`, rejects with the server's sentence otherwise. */
export function subscribe(s: Socket, what: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) =>
    s.emit('subscribe', what, (ack: { ok: boolean; error?: string }) => (ack.ok ? resolve() : reject(new Error(ack.error)))),
  );
}
