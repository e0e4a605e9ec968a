/**
 * The kafka-lab client both klab (clients/cli, loaded with require()) and the web page (clients/web,
 * loaded as <script src="/lib/lab-client.js"> after /socket.io/socket.io.js) use: one HTTP call per
 * request, and a live link whose subscriptions never miss. Plain JS, no build.
 *
 * The live link subscribes with a cursor (openapi.yaml, x-websocket): the server replays what was
 * stored after it, then goes on live. The link remembers, per subscription, the last seqs it got, and
 * after a reconnect subscribes again from them; items that come twice (a resubscription racing a
 * drop) are delivered once.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory(() => require('socket.io-client').io);
  else root.LabClient = factory(() => root.io);
})(typeof self !== 'undefined' ? self : this, function (ioOf) {
  'use strict';

  /** A failure to show the user; the server's sentence when there is one. */
  class ApiError extends Error {
    constructor(message, status, body) {
      super(message);
      this.status = status;
      this.body = body;
    }
  }

  class LabApi {
    /** `server` is '' in the page (same origin); `hint401` is added to a 401 when there is no token. */
    constructor(server, token, { hint401 } = {}) {
      this.server = server;
      this.token = token;
      this.hint401 = hint401;
    }

    /**
     * One call. `body` is sent as JSON, `text` as text/plain. Answers the parsed JSON, the text for a
     * non-JSON answer, or null for 204; throws ApiError with the server's `message` otherwise.
     */
    async request(method, route, { body, text, query } = {}) {
      const base = typeof location !== 'undefined' ? location.href : undefined;
      const url = new URL(this.server + '/api' + route, base);
      for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
      const headers = {};
      if (this.token) headers.authorization = `Bearer ${this.token}`;
      let payload;
      if (text !== undefined) { headers['content-type'] = 'text/plain; charset=utf-8'; payload = text; }
      else if (body !== undefined) { headers['content-type'] = 'application/json'; payload = JSON.stringify(body); }
      let res;
      try {
        res = await fetch(url, { method, headers, body: payload });
      } catch (e) {
        const why = (e.cause && (e.cause.code || e.cause.message)) || e.message;
        throw new ApiError(`cannot reach the kafka-lab server${this.server ? ` at ${this.server}` : ''} (${why}); is it running?`, 0);
      }
      const raw = await res.text();
      // An error of a text route (?format=text) may still be the JSON error body, whatever its type says.
      const isJson = (res.headers.get('content-type') || '').includes('json') || (!res.ok && /^\s*[{[]/.test(raw));
      let parsed = raw;
      if (isJson && raw) {
        try { parsed = JSON.parse(raw); } catch { /* keep the text */ }
      }
      if (!res.ok) {
        let message = (parsed && typeof parsed === 'object' && parsed.message) || raw.trim() || `${res.status} ${res.statusText}`;
        if (Array.isArray(message)) message = message.join('; ');
        if (res.status === 401 && !this.token && this.hint401) message += ` (${this.hint401})`;
        throw new ApiError(message, res.status, parsed);
      }
      if (res.status === 204 || !raw) return null;
      return parsed;
    }

    get(route, query) { return this.request('GET', route, { query }); }
    post(route, body, query) { return this.request('POST', route, { body, query }); }
    patch(route, body) { return this.request('PATCH', route, { body }); }
    delete(route, query) { return this.request('DELETE', route, { query }); }

    /**
     * Accepts, releases or rejects records a manual share consumer holds:
     * `acks` = `[{ topic, partition, offset, type: 'accept' | 'release' | 'reject' }]`; answers
     * `{ results: [{ topic, partition, offsets, type, error? }] }` (one per partition and type).
     */
    acknowledge(consumerId, acks) {
      return this.post(`/consumers/${encodeURIComponent(String(consumerId))}/acknowledge`, { acks });
    }
  }

  /** How far behind the newest seq a SeqStream still tells a new item from one it delivered. */
  const STREAM_SEEN_MAX = 20000;

  /**
   * Items with an increasing `seq` read page by page from a polling route (and pushed live meanwhile):
   * while a backfill runs, pushed items wait; every item is delivered once. Pushed items are told
   * apart by seq, not by order: the server keeps order per subscription only, so an item older than
   * the newest one delivered may still be new (another subscription's replay) and is delivered too.
   */
  class SeqStream {
    constructor(deliver, after = 0) {
      this.deliver = deliver;
      /** The newest seq delivered: pages are read after it. */
      this.last = after;
      /** Every seq up to this counts as delivered; `seen` holds the delivered ones above it. */
      this.floor = after;
      this.seen = new Set();
      this.backfilling = 0;
      this.queue = [];
    }

    push(item) {
      if (this.backfilling) this.queue.push(item);
      else this.emit(item);
    }

    emit(item) {
      if (typeof item.seq === 'number') {
        if (item.seq <= this.floor || this.seen.has(item.seq)) return;
        this.seen.add(item.seq);
        if (item.seq > this.last) this.last = item.seq;
        if (this.seen.size > 2 * STREAM_SEEN_MAX) this.forgetOld();
      }
      this.deliver(item);
    }

    forgetOld() {
      this.floor = this.last - STREAM_SEEN_MAX;
      for (const seq of this.seen) if (seq <= this.floor) this.seen.delete(seq);
    }

    /**
     * `page(after)` answers `{ items, next }`; `next` is what the route says to pass as `after` next time.
     * Pages are read until one is empty or the cursor stops moving. `subscribeFirst`, when given, runs
     * while pushed items are still held back.
     */
    async backfill(page, subscribeFirst) {
      this.backfilling++;
      try {
        if (subscribeFirst) await subscribeFirst();
        let cursor = this.last;
        for (let i = 0; i < 10000; i++) {
          const { items, next } = await page(cursor);
          items.forEach((x) => this.emit(x));
          const moved = typeof next === 'number' ? next : items.length ? items[items.length - 1].seq : cursor;
          if (!items.length || !(moved > cursor)) break;
          cursor = moved;
        }
      } finally {
        this.backfilling--;
        if (!this.backfilling) {
          const queued = this.queue.sort((a, b) => a.seq - b.seq);
          this.queue = [];
          queued.forEach((x) => this.emit(x));
        }
      }
    }
  }

  /** Emits `subscribe` and resolves with the ack `{ ok: true, seq, ... }`; rejects with the server's sentence otherwise. */
  function subscribe(socket, what, timeoutMs = 10000) {
    const label = JSON.stringify(what);
    return new Promise((resolve, reject) => {
      const done = (err, ack) => {
        clearTimeout(timer);
        socket.off('disconnect', onDisconnect);
        if (err) reject(err); else resolve(ack);
      };
      const onDisconnect = () => done(new ApiError(socket.refusal || `the live connection closed before the subscription to ${label} was answered`, socket.refusal ? 401 : 0));
      const timer = setTimeout(() => done(new ApiError(`the server did not answer the subscription to ${label} within ${timeoutMs / 1000} s`, 0)), timeoutMs);
      if (socket.refusal || !socket.connected) return onDisconnect();
      socket.on('disconnect', onDisconnect);
      socket.emit('subscribe', what, (ack) => done(ack && ack.ok ? null : new ApiError((ack && ack.error) || `subscription to ${label} refused`, 400), ack));
    });
  }

  /** How many recent (socket event, seq) pairs are remembered to deliver an event once. */
  const SEEN_MAX = 20000;
  const KINDS = ['consumer', 'topic', 'group', 'cluster', 'events', 'progress'];
  /**
   * The order follows are resumed in, broadest first: the server leaves out of a replay what another
   * subscription of the socket already covers, so once `{ events }` has replayed, a narrower one
   * resends nothing on `event` that would come after newer items.
   */
  const RESUME_ORDER = ['events', 'progress', 'cluster', 'topic', 'group', 'consumer'];

  /**
   * One socket.io connection to `/lab` and the subscriptions made over it. Listen with `on(name, fn)`:
   * `event`, `rebalance`, `progress`, `message`, `cluster` (each delivered once), `notice` (a sentence
   * about the link), `fatal` (the server refused us; the link gives up), `connect` (every connection).
   */
  class LiveLink {
    constructor(socket) {
      this.socket = socket;
      this.follows = new Map();
      this.listeners = {};
      this.seen = new Set();
      this.seenOrder = [];
      this.lastMessage = new Map();
      this.closing = false;
      this.resumes = 0;
      this.connections = socket.connected ? 1 : 0;
      socket.refusal = undefined;
      socket.on('error', (e) => { socket.refusal = (e && e.message) || String(e); });
      for (const channel of ['event', 'rebalance', 'progress']) socket.on(channel, (e) => this.onEvent(channel, e));
      socket.on('message', (m) => this.onMessage(m));
      socket.on('cluster', (view) => this.fire('cluster', view));
      socket.on('overflow', (o) => this.fire('notice', `the server dropped ${o && o.dropped} live items (this reader was too slow); catching up`));
      socket.on('disconnect', (reason) => {
        // Nothing arrives for a follow until it is subscribed again: its cursor stays where it is.
        for (const f of this.follows.values()) f.acked = false;
        if (this.closing) return;
        if (socket.refusal) return this.fire('fatal', new ApiError(socket.refusal, 401));
        this.fire('notice', `live connection lost (${reason}); reconnecting`);
        // socket.io retries by itself except when the server closed the connection on purpose.
        if (reason === 'io server disconnect') socket.connect();
      });
      socket.on('connect', () => {
        this.connections++;
        if (this.connections > 1) this.resume();
        this.fire('connect');
      });
    }

    /**
     * Connects and resolves once connected. A refused handshake rejects with the server's sentence;
     * a server that is down keeps socket.io retrying until `timeoutMs`, then rejects.
     */
    static connect(server, token, { timeoutMs = 15000, io } = {}) {
      const socket = (io || ioOf())(server + '/lab', { auth: { token }, transports: ['websocket'], reconnectionDelayMax: 2000 });
      const link = new LiveLink(socket);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => fail(new ApiError(`cannot open the live connection${server ? ` to ${server}` : ''} within ${timeoutMs / 1000} s`, 0)), timeoutMs);
        const fail = (err) => { clearTimeout(timer); link.close(); reject(err); };
        socket.once('connect', () => { clearTimeout(timer); socket.off('connect_error', onError); resolve(link); });
        const onError = (err) => {
          // socket.active is false when the server refused us (middleware error): retrying will not help.
          if (!socket.active) fail(new ApiError(`the live connection was refused: ${err.message}`, 401));
        };
        socket.on('connect_error', onError);
      });
    }

    on(name, fn) {
      (this.listeners[name] = this.listeners[name] || []).push(fn);
      return this;
    }

    /**
     * Subscribes (`{ consumer: id }`, `{ events: true }`, ... optionally with `after`) and keeps the
     * subscription across reconnects. Resolves with the ack; rejects with the server's sentence.
     */
    async follow(what) {
      const kind = KINDS.find((k) => what[k] !== undefined);
      const key = `${kind}:${kind === 'consumer' || kind === 'topic' || kind === 'group' ? what[kind] : ''}`;
      const f = { key, kind, what: { [kind]: what[kind] }, cursor: what.after, acked: false };
      this.follows.set(key, f);
      try {
        return await this.subscribeFollow(f);
      } catch (e) {
        if (this.follows.get(key) === f) this.follows.delete(key);
        // Not answered in time (status 0 while still connected): the server may still register it.
        if (e.status === 0 && this.socket.connected) this.socket.emit('unsubscribe', f.what);
        throw e;
      }
    }

    /** Ends one subscription made with follow(). */
    unfollow(what) {
      const kind = KINDS.find((k) => what[k] !== undefined);
      const key = `${kind}:${kind === 'consumer' || kind === 'topic' || kind === 'group' ? what[kind] : ''}`;
      if (!this.follows.delete(key)) return;
      if (this.socket.connected) this.socket.emit('unsubscribe', { [kind]: what[kind] });
    }

    /** The cursor a follow would resubscribe from now (for tests and status lines). */
    cursorOf(what) {
      const kind = KINDS.find((k) => what[k] !== undefined);
      const f = this.follows.get(`${kind}:${kind === 'consumer' || kind === 'topic' || kind === 'group' ? what[kind] : ''}`);
      return f ? f.cursor : undefined;
    }

    close() {
      this.closing = true;
      this.socket.close();
    }

    async subscribeFollow(f) {
      f.acked = false;
      const body = f.cursor === undefined ? f.what : { ...f.what, after: f.cursor };
      const ack = await subscribe(this.socket, body);
      // Everything the subscription matched up to the ack's positions has arrived (the ack is queued after the replay).
      f.cursor = f.kind === 'consumer' ? { event: ack.seq, message: ack.messageSeq || 0 } : ack.seq;
      f.acked = true;
      if (ack.missedMessages) this.fire('notice', `${ack.missedMessages} messages of consumer ${f.what.consumer} arrived while this reader was away and are no longer kept by the server`);
      return ack;
    }

    /**
     * After a reconnect: every subscription again, from where it was, one after another (each waits
     * for the ack of the one before) in RESUME_ORDER, so one socket event's items come in seq order.
     */
    async resume() {
      const run = ++this.resumes;
      const follows = [...this.follows.values()].sort((a, b) => RESUME_ORDER.indexOf(a.kind) - RESUME_ORDER.indexOf(b.kind));
      for (const f of follows) {
        // Dropped again (the next connect resumes), or unfollowed meanwhile.
        if (run !== this.resumes || !this.socket.connected) return;
        if (this.follows.get(f.key) !== f) continue;
        try {
          await this.subscribeFollow(f);
        } catch (e) {
          if (this.socket.refusal) return this.fire('fatal', e);
          if (run === this.resumes && this.socket.connected) this.fire('notice', `resubscribing ${JSON.stringify(f.what)} failed: ${e.message}`);
        }
      }
    }

    onEvent(channel, e) {
      const id = `${channel}:${e.seq}`;
      if (this.seen.has(id)) return;
      this.seen.add(id);
      this.seenOrder.push(id);
      if (this.seenOrder.length > SEEN_MAX) this.seen.delete(this.seenOrder.shift());
      // Live items arrive in seq order: whatever an acknowledged subscription matched up to here has arrived.
      for (const f of this.follows.values()) {
        if (!f.acked) continue;
        if (f.kind === 'consumer') f.cursor.event = Math.max(f.cursor.event, e.seq);
        else f.cursor = Math.max(f.cursor, e.seq);
      }
      this.fire(channel, e);
    }

    onMessage(m) {
      const last = this.lastMessage.get(m.consumerId) || 0;
      if (m.seq <= last) return;
      this.lastMessage.set(m.consumerId, m.seq);
      const f = this.follows.get(`consumer:${m.consumerId}`);
      if (f && f.acked) f.cursor.message = m.seq;
      this.fire('message', m);
    }

    fire(name, arg) {
      for (const fn of this.listeners[name] || []) fn(arg);
    }
  }

  // ------------------------------------------------------------------ what both clients print

  /** `[{ topic, partitions: [2, 0] }]` → `t [0], t [2]`, kcat's way of listing a partition assignment. */
  function partitionList(list) {
    const out = [];
    for (const { topic, partitions } of list || []) {
      for (const p of [...(partitions || [])].sort((a, b) => a - b)) out.push(`${topic} [${p}]`);
    }
    return out.join(', ');
  }

  /**
   * The rebalance line of a console consumer, as LABS.md shows it, without kcat's leading `% `:
   * `Group g rebalanced (memberid m-1): assigned: t [2], revoked: t [0]`. Consumer-protocol and share
   * members carry their member epoch (`memberid m-1, epoch 7`): KIP-848 reconciles one epoch at a
   * time and the event names only what moved, so the epoch is what tells the steps apart.
   */
  function rebalanceText(ev) {
    const halves = [];
    if (partitionList(ev.assigned)) halves.push(`assigned: ${partitionList(ev.assigned)}`);
    if (partitionList(ev.revoked)) halves.push(`revoked: ${partitionList(ev.revoked)}`);
    const epoch = ev.memberEpoch != null ? `, epoch ${ev.memberEpoch}` : '';
    // A KIP-848 step may only raise the epoch (e.g. the bump after a revocation): nothing moved.
    if (!halves.length) halves.push(epoch ? 'nothing moved' : 'assigned: nothing new, revoked: nothing');
    return `Group ${ev.groupId} rebalanced (memberid ${ev.memberId || '?'}${epoch}): ${halves.join(', ')}`;
  }

  /** Offsets as `@5`, `@3..5,8` (runs of consecutive offsets folded), in order. */
  function offsetsText(offsets) {
    const nums = [...new Set((offsets || []).map(Number))].sort((a, b) => a - b);
    const runs = [];
    for (const n of nums) {
      const last = runs[runs.length - 1];
      if (last && n === last[1] + 1) last[1] = n;
      else runs.push([n, n]);
    }
    return '@' + runs.map(([a, b]) => (a === b ? String(a) : `${a}..${b}`)).join(',');
  }

  /** What an acknowledgement type did, for sentences. */
  const ACK_DONE = { accept: 'accepted', release: 'released', reject: 'rejected' };

  /**
   * The acknowledgement type of a share.acknowledged event. API.md names the field `type`, which the
   * event's own `type` shadows once spread into `{ seq, time, type, actor, ...fields }`; read the names
   * a server may use instead, and `type` only when it is an acknowledgement type.
   */
  function ackKindOf(ev) {
    for (const k of ['ackType', 'acknowledgement', 'ack', 'kind', 'type']) if (ev[k] in ACK_DONE) return ev[k];
    return undefined;
  }

  /**
   * One sentence per share-group event (KIP-932), without a leading `% `:
   * `t [0] @5 redelivered (delivery 2): released`, `t [0] @5 archived: rejected`, `t [0] @3..4 released`.
   */
  function shareEventText(ev) {
    const tp = `${ev.topic} [${ev.partition}]`;
    switch (ev.type) {
      case 'share.redelivered':
        return `${tp} ${offsetsText([ev.offset])} redelivered (delivery ${ev.deliveryCount})${ev.why ? `: ${ev.why}` : ''}`;
      case 'share.archived':
        return `${tp} ${offsetsText([ev.offset])} archived${ev.why ? `: ${ev.why}` : ''}`;
      case 'share.acknowledged': {
        const kind = ackKindOf(ev);
        return `${tp} ${offsetsText(ev.offsets)} ${ACK_DONE[kind] || 'acknowledged'}`;
      }
      default:
        return ev.type;
    }
  }

  /** One result of POST /api/consumers/{id}/acknowledge: `t [0] @5 released`, or the refusal. */
  function ackResultText(r) {
    const what = `${r.topic} [${r.partition}] ${offsetsText(r.offsets)}`;
    return r.error ? `${r.type} of ${what} refused: ${r.error}` : `${what} ${ACK_DONE[r.type] || r.type}`;
  }

  /**
   * The acknowledgements a client sent itself, so the share.acknowledged events they cause are not
   * taken for news (the acknowledge answer was): they may come after the record was delivered again.
   * Acknowledgements made elsewhere (the web page, `klab ack`, another tab) are not claimed.
   */
  class OwnAcks {
    constructor() {
      this.keys = new Set();
    }

    static key(type, topic, partition, offset) {
      return `${type}\u0000${topic}\u0000${partition}\u0000${offset}`;
    }

    mark(type, records) {
      for (const r of records) this.keys.add(OwnAcks.key(type, r.topic, r.partition, String(r.offset)));
    }

    /** True (and forgotten) when every offset of the event was acknowledged here with that type. */
    claims(type, ev) {
      const keys = (ev.offsets || []).map((o) => OwnAcks.key(type, ev.topic, ev.partition, String(o)));
      if (!keys.length || !keys.every((k) => this.keys.has(k))) return false;
      keys.forEach((k) => this.keys.delete(k));
      return true;
    }
  }

  /** `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`; `never` for null (a roster's last seen). */
  function ago(iso, now = Date.now()) {
    if (!iso) return 'never';
    const ms = now - Date.parse(iso);
    if (Number.isNaN(ms)) return String(iso);
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 5) return 'just now';
    if (s < 60) return `${s} s ago`;
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
    return `${Math.floor(s / 86400)} d ago`;
  }

  /** The class's events (student.joined, student.removed, class.updated) as one sentence; null for others. */
  function classEventText(ev) {
    const who = ev.name ? `${ev.name} (${ev.studentId})` : ev.studentId;
    switch (ev.type) {
      case 'student.joined':
        return `${who} joined the class`;
      case 'student.removed':
        return `${who} was removed from the class${ev.purged ? ', with their topics' : ''}`;
      case 'class.updated':
        return `class settings changed${(ev.changed || []).length ? `: ${ev.changed.join(', ')}` : ''}`;
      default:
        return null;
    }
  }

  /**
   * Offset ranges of a messages.* event (`{ "0": [["0","6"]], "2": [["3","4"],["9","9"]] }`, inclusive,
   * decimal strings) as `0: 0–6; 2: 3–4,9`, partitions in order; '' when there are none.
   */
  function offsetRangesText(offsets) {
    return Object.keys(offsets || {})
      .sort((a, b) => Number(a) - Number(b))
      .map((p) => [p, (offsets[p] || []).map(([first, last]) => (first === last ? String(first) : `${first}–${last}`))])
      .filter(([, ranges]) => ranges.length)
      .map(([p, ranges]) => `${p}: ${ranges.join(',')}`)
      .join('; ');
  }

  /** A messages.consumed event: `consumer c-1 received 7 of t [0: 0–6] (group g)`. */
  function consumedText(ev) {
    const where = offsetRangesText(ev.offsets);
    return `consumer ${ev.consumerId} received ${ev.count} of ${ev.topic}${where ? ` [${where}]` : ''}${ev.groupId ? ` (group ${ev.groupId})` : ''}`;
  }

  /**
   * A checkpoint.passed event: `student ab12cd passed pub-sub: <the evidence's summary>`. `who` names
   * the student otherwise (the page says "you", or the roster's name for the instructor).
   */
  function checkpointPassedText(ev, who) {
    const summary = ev.evidence && typeof ev.evidence.summary === 'string' ? `: ${ev.evidence.summary}` : '';
    return `${who || `student ${ev.studentId}`} passed ${ev.checkpoint}${summary}`;
  }

  /** The programs Kafka's client ids name by default (kcat and other librdkafka clients, Kafka's console tools). */
  const CLIENT_PROGRAMS = { rdkafka: 'kcat (rdkafka)', 'console-consumer': 'kafka-console-consumer (console-consumer)' };

  /**
   * What an event of a client the server does not run adds to its line: ` — kcat (rdkafka) on host
   * 10.0.0.7` for a member's start and stop (which name its client), ` — external member` for its other
   * events, a note on writes seen by the offsets moving; '' for the server's own consumers and writes.
   */
  function externalText(ev) {
    if (!ev || !ev.external) return '';
    if (ev.type === 'messages.produced') return ' — by a client the server does not run';
    if (!ev.clientId) return ' — external member';
    const program = CLIENT_PROGRAMS[ev.clientId] || ev.clientId;
    return ` — ${program}${ev.clientHost ? ` on host ${ev.clientHost}` : ''}`;
  }

  /** A lab step's `api` or `cli` (GET /api/labs/{id}): one line, several lines, or a list of them; always a list of lines. */
  function stepLines(x) {
    if (x == null) return [];
    return [].concat(x).flatMap((l) => String(l).split('\n')).filter((l) => l.trim() !== '');
  }

  /** GET /api/me/kafka's settings as [label, value] rows, as klab kafka and the page's "Your Kafka client" show them. */
  function kafkaSettingRows(s) {
    return [
      ['bootstrap servers', s.bootstrapServers],
      ['security protocol', s.securityProtocol],
      ['mechanism', s.mechanism],
      ['username', s.username],
      ['password', s.password],
    ];
  }

  const text = {
    kafkaSettingRows,
    partitionList, rebalanceText, offsetsText, shareEventText, ackResultText, ackKindOf, ACK_DONE, ago, classEventText,
    offsetRangesText, consumedText, checkpointPassedText, stepLines, externalText,
  };

  return { ApiError, LabApi, SeqStream, LiveLink, subscribe, OwnAcks, text };
});
