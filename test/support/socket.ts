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

/** A socket with what the server told it: `error` sentences, and whether it closed it. */
export interface WatchedSocket {
  socket: Socket;
  /** The `error` sentences the server sent. */
  errors: string[];
  closed(): boolean;
}

/** A socket signed in with `token` (null: none), without reconnecting, once the connection is up; a refused one then hears `error` and is closed. */
export function watchedSocket(token: string | null): Promise<WatchedSocket> {
  const socket = io(`${sharedLab().url}/lab`, { auth: token === null ? {} : { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  const errors: string[] = [];
  let closed = false;
  socket.on('error', (e: { message: string }) => errors.push(e.message));
  socket.on('disconnect', () => (closed = true));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, errors, closed: () => closed }));
    socket.once('connect_error', reject);
  });
}
