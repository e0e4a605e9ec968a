'use strict';
/** The socket.io side of klab: one connection to the `/lab` namespace, and gapless streams over it. */
const { io } = require('socket.io-client');
const { ApiError } = require('./api');

/**
 * Connects and resolves once connected. A refused handshake (bad token) rejects with the server's
 * sentence; a server that is down keeps socket.io retrying until `timeoutMs`, then rejects.
 * A server may also accept the connection and then refuse it: it emits `error` `{ message }` and
 * disconnects; that sentence is kept in `socket.refusal` for `subscribe` and `keepAlive`.
 */
function connectLab(server, token, timeoutMs = 15000) {
  const socket = io(server + '/lab', { auth: { token }, transports: ['websocket'], reconnectionDelayMax: 2000 });
  socket.refusal = undefined;
  socket.on('error', (e) => { socket.refusal = (e && e.message) || String(e); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new ApiError(`cannot open the live connection to ${server} within ${timeoutMs / 1000} s`, 0)), timeoutMs);
    const fail = (err) => { clearTimeout(timer); socket.close(); reject(err); };
    socket.once('connect', () => { clearTimeout(timer); socket.off('connect_error', onError); resolve(socket); });
    const onError = (err) => {
      // socket.active is false when the server refused us (middleware error): retrying will not help.
      if (!socket.active) fail(new ApiError(`the live connection was refused: ${err.message}`, 401));
    };
    socket.on('connect_error', onError);
  });
}

/** Emits `subscribe` and resolves on `{ ok: true }`; rejects with the server's sentence otherwise. */
function subscribe(socket, what, timeoutMs = 10000) {
  const label = JSON.stringify(what);
  return new Promise((resolve, reject) => {
    const done = (err) => {
      clearTimeout(timer);
      socket.off('disconnect', onDisconnect);
      if (err) reject(err); else resolve();
    };
    const onDisconnect = () => done(new ApiError(socket.refusal || `the live connection closed before the subscription to ${label} was answered`, socket.refusal ? 401 : 0));
    const timer = setTimeout(() => done(new ApiError(`the server did not answer the subscription to ${label} within ${timeoutMs / 1000} s`, 0)), timeoutMs);
    if (socket.refusal || !socket.connected) return onDisconnect();
    socket.on('disconnect', onDisconnect);
    socket.emit('subscribe', what, (ack) => done(ack && ack.ok ? null : new ApiError((ack && ack.error) || `subscription to ${label} refused`, 400)));
  });
}

/**
 * Keeps a long stream going after the first subscription: on every later connection (socket.io's own
 * retries, or ours after the server cut a slow reader loose) `resume` runs again; a refusal ends it.
 */
function keepAlive(socket, { resume, fatal, closing, notice }) {
  socket.on('overflow', (o) => notice(`the server dropped ${o && o.dropped} live items (this reader was too slow); catching up`));
  socket.on('disconnect', (reason) => {
    if (closing()) return;
    if (socket.refusal) return fatal(new ApiError(socket.refusal, 401));
    notice(`live connection lost (${reason}); reconnecting`);
    // socket.io retries by itself except when the server closed the connection on purpose.
    if (reason === 'io server disconnect') socket.connect();
  });
  socket.on('connect', () => resume().catch((e) => notice(`ERROR: ${e.message}`)));
}

/**
 * Items with an increasing `seq` that arrive both live (socket) and from a polling route (backfill):
 * while a backfill runs, live items wait; every item is delivered once, in seq order.
 */
class SeqStream {
  constructor(deliver, after = 0) {
    this.deliver = deliver;
    this.last = after;
    this.backfilling = 0;
    this.queue = [];
  }

  push(item) {
    if (this.backfilling) this.queue.push(item);
    else this.emit(item);
  }

  emit(item) {
    if (typeof item.seq === 'number' && item.seq <= this.last) return;
    if (typeof item.seq === 'number') this.last = item.seq;
    this.deliver(item);
  }

  /**
   * `page(after)` answers `{ items, next }`; `next` is what the route says to pass as `after` next time.
   * Pages are read until one is empty or the cursor stops moving. `subscribeFirst`, when given, opens
   * the live stream while live items are still held back.
   */
  async backfill(page, subscribeFirst) {
    this.backfilling++;
    try {
      // Subscribing inside the backfill window matters: live items that arrive between the
      // subscription's ack and the first page would otherwise move the cursor past older items.
      if (subscribeFirst) await subscribeFirst();
      let cursor = this.last;
      for (;;) {
        const { items, next } = await page(cursor);
        items.forEach((i) => this.emit(i));
        const moved = typeof next === 'number' ? next : items.length ? items[items.length - 1].seq : cursor;
        if (!items.length || !(moved > cursor)) break;
        cursor = moved;
      }
    } finally {
      this.backfilling--;
      if (!this.backfilling) {
        const queued = this.queue.sort((a, b) => a.seq - b.seq);
        this.queue = [];
        queued.forEach((i) => this.emit(i));
      }
    }
  }
}

module.exports = { connectLab, subscribe, keepAlive, SeqStream };
