import * as net from 'node:net';
import { Reader, Writer } from './wire';

export interface BrokerAddress {
  host: string;
  port: number;
}

/** `host:port` strings (a bootstrap list) as addresses; the port is after the last colon. */
export function parseBrokerAddresses(servers: readonly string[]): BrokerAddress[] {
  return servers.map((hp) => {
    const i = hp.lastIndexOf(':');
    return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
  });
}

export const API_KEYS = { produce: 0, listOffsets: 2, metadata: 3, offsetCommit: 8, findCoordinator: 10, apiVersions: 18, describeConfigs: 32, electLeaders: 43, alterClientQuotas: 49, describeUserScramCredentials: 50, alterUserScramCredentials: 51, describeTopicPartitions: 75 } as const;
const API_NAMES: Record<number, string> = { 0: 'Produce', 2: 'ListOffsets', 3: 'Metadata', 8: 'OffsetCommit', 10: 'FindCoordinator', 18: 'ApiVersions', 32: 'DescribeConfigs', 43: 'ElectLeaders', 49: 'AlterClientQuotas', 50: 'DescribeUserScramCredentials', 51: 'AlterUserScramCredentials', 75: 'DescribeTopicPartitions' };

export const DEFAULT_CLIENT_ID = 'kafka-lab';
/** A response bigger than this is a corrupt size field, not a real answer to our small requests. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/**
 * Why a request to one broker failed. `refused` and `unreachable` fail at once (the broker is down);
 * `timeout` means it accepted the connection but did not answer in time (paused, overloaded).
 */
export type WireFailure = 'refused' | 'unreachable' | 'timeout' | 'closed' | 'protocol';

export class KafkaWireError extends Error {
  constructor(
    readonly kind: WireFailure,
    readonly broker: string,
    message: string,
  ) {
    super(message);
    this.name = 'KafkaWireError';
  }
}

/** Raised when every broker we tried failed; `errors` holds each broker's own failure. */
export class NoBrokerAnsweredError extends Error {
  constructor(readonly errors: KafkaWireError[]) {
    super(
      errors.length === 0
        ? 'no broker address was given'
        : `no broker answered: ${errors.map((e) => e.message).join('; ')}`,
    );
    this.name = 'NoBrokerAnsweredError';
  }
}

export const brokerLabel = (b: BrokerAddress) => `${b.host}:${b.port}`;
const apiLabel = (apiKey: number, version: number) => `${API_NAMES[apiKey] ?? `API ${apiKey}`} v${version}`;

export interface SendOptions {
  /** Flexible versions use request header v2 and response header v1 (both with tagged fields). */
  flexible: boolean;
  timeoutMs: number;
}

interface Pending {
  flexible: boolean;
  apiKey: number;
  resolve: (r: Reader) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One TCP connection to one broker. Requests may overlap; responses are matched by correlation id,
 * and every request has its own deadline so a paused broker cannot hang a caller.
 */
export class KafkaConnection {
  private nextCorrelationId = 1;
  private readonly pending = new Map<number, Pending>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closedWith: KafkaWireError | undefined;

  private constructor(
    private readonly socket: net.Socket,
    readonly broker: BrokerAddress,
    private readonly clientId: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (d) => this.onData(d));
    socket.on('error', (e: NodeJS.ErrnoException) =>
      this.fail(new KafkaWireError('closed', this.label, `the connection to broker ${this.label} failed: ${e.code ?? e.message}`)),
    );
    socket.on('close', () =>
      this.fail(new KafkaWireError('closed', this.label, `broker ${this.label} closed the connection`)),
    );
  }

  get label(): string {
    return brokerLabel(this.broker);
  }

  /** True once the socket failed or was closed: a pool must open a new connection. */
  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Requests sent and not yet answered (nor timed out). */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Connects within `timeoutMs`; a refused or unroutable address rejects at once. */
  static open(broker: BrokerAddress, opts: { timeoutMs: number; clientId?: string }): Promise<KafkaConnection> {
    const label = brokerLabel(broker);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: broker.host, port: broker.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new KafkaWireError('timeout', label, `broker ${label} did not accept a connection within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      const onError = (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          e.code === 'ECONNREFUSED'
            ? new KafkaWireError('refused', label, `broker ${label} refused the connection (it is not running)`)
            : new KafkaWireError('unreachable', label, `broker ${label} cannot be reached: ${e.code ?? e.message}`),
        );
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new KafkaConnection(socket, broker, opts.clientId ?? DEFAULT_CLIENT_ID));
      });
    });
  }

  /**
   * Sends one request and resolves with a Reader positioned at the start of the response body
   * (after the response header).
   */
  send(apiKey: number, version: number, body: Buffer, opts: SendOptions): Promise<Reader> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const correlationId = this.nextCorrelationId++;
    const what = apiLabel(apiKey, version);
    return new Promise<Reader>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new KafkaWireError('timeout', this.label, `broker ${this.label} did not answer ${what} within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      this.pending.set(correlationId, { flexible: opts.flexible, apiKey, resolve, reject, timer });
      this.socket.write(this.framed(correlationId, apiKey, version, body, opts.flexible));
    });
  }

  /**
   * Sends a request the broker will not answer (Produce with acks=0): resolves once the bytes are
   * handed to the kernel, rejects if the socket fails first or the write does not drain in time.
   */
  sendNoResponse(apiKey: number, version: number, body: Buffer, opts: SendOptions): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const correlationId = this.nextCorrelationId++;
    const what = apiLabel(apiKey, version);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new KafkaWireError('timeout', this.label, `broker ${this.label} did not take ${what} within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      this.socket.write(this.framed(correlationId, apiKey, version, body, opts.flexible), (err) => {
        clearTimeout(timer);
        if (err) reject(this.closedWith ?? new KafkaWireError('closed', this.label, `the connection to broker ${this.label} failed: ${err.message}`));
        else resolve();
      });
    });
  }

  /** size + request header v1 (non-flexible) or v2 (flexible; the client id stays a plain nullable string) + body. */
  private framed(correlationId: number, apiKey: number, version: number, body: Buffer, flexible: boolean): Buffer {
    const header = new Writer(64).int32(0).int16(apiKey).int16(version).int32(correlationId).nullableString(this.clientId);
    if (flexible) header.emptyTaggedFields();
    const head = header.toBuffer();
    head.writeInt32BE(head.length - 4 + body.length, 0);
    return Buffer.concat([head, body]);
  }

  close(): void {
    this.fail(new KafkaWireError('closed', this.label, `the connection to broker ${this.label} was closed`));
  }

  private fail(err: KafkaWireError): void {
    if (!this.closedWith) this.closedWith = err;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 4) {
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [all];
      const size = all.readInt32BE(0);
      if (size < 4 || size > MAX_FRAME_BYTES) {
        this.fail(new KafkaWireError('protocol', this.label, `broker ${this.label} sent a response of impossible size ${size}`));
        return;
      }
      if (all.length < 4 + size) return;
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    const r = new Reader(frame);
    const correlationId = r.int32();
    const p = this.pending.get(correlationId);
    // A response whose request already timed out: nobody waits for it any more.
    if (!p) return;
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    try {
      // ApiVersions answers with header v0 even for flexible versions, so clients can parse it blind.
      if (p.flexible && p.apiKey !== API_KEYS.apiVersions) r.skipTaggedFields();
      p.resolve(r);
    } catch (e) {
      p.reject(e as Error);
    }
  }
}

export interface RequestOptions extends SendOptions {
  clientId?: string;
  /** Aborting closes the connection at once (used to drop the slower brokers once one answered). */
  signal?: AbortSignal;
}

/**
 * Opens a connection, sends one request, decodes its response with `decode`, and closes; the whole
 * exchange (connect + answer) shares one deadline of `timeoutMs`.
 */
export async function request<T>(
  broker: BrokerAddress,
  apiKey: number,
  version: number,
  body: Buffer,
  opts: RequestOptions,
  decode: (r: Reader) => T,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const conn = await KafkaConnection.open(broker, { timeoutMs: opts.timeoutMs, clientId: opts.clientId });
  const onAbort = () => conn.close();
  if (opts.signal?.aborted) conn.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const left = Math.max(1, deadline - Date.now());
    const r = await conn.send(apiKey, version, body, { flexible: opts.flexible, timeoutMs: left });
    try {
      return decode(r);
    } catch (e) {
      throw new KafkaWireError('protocol', conn.label, `the ${apiLabel(apiKey, version)} response of broker ${conn.label} could not be read: ${(e as Error).message}`);
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    conn.close();
  }
}

/** One broker's connection, kept for reuse: opened on first use, and again once it has failed. */
export class KeptConnection {
  private conn: KafkaConnection | null = null;
  private connecting: Promise<KafkaConnection> | null = null;

  constructor(
    readonly broker: BrokerAddress,
    private readonly clientId: string,
  ) {}

  get(timeoutMs: number): Promise<KafkaConnection> {
    if (this.conn && !this.conn.closed) return Promise.resolve(this.conn);
    if (!this.connecting) {
      this.connecting = KafkaConnection.open(this.broker, { timeoutMs, clientId: this.clientId }).then(
        (c) => {
          this.conn = c;
          this.connecting = null;
          return c;
        },
        (e) => {
          this.connecting = null;
          throw e;
        },
      );
    }
    return this.connecting;
  }

  close(): void {
    this.conn?.close();
    this.conn = null;
  }
}

/**
 * Runs `attempt` against the brokers until one succeeds. A dead broker (connection refused) moves
 * on at once; a broker that accepts but does not answer (a paused JVM) gets `staggerMs` before the
 * next one is tried in parallel, so one frozen broker costs a fraction of a second, not the deadline.
 * Rejects with NoBrokerAnsweredError when all have failed or the deadline has passed.
 */
export function firstAnswering<T>(
  brokers: readonly BrokerAddress[],
  attempt: (b: BrokerAddress, timeoutMs: number, signal: AbortSignal) => Promise<T>,
  opts: { timeoutMs: number; staggerMs?: number },
): Promise<T> {
  const stagger = opts.staggerMs ?? Math.min(500, Math.max(50, Math.floor(opts.timeoutMs / 4)));
  const deadline = Date.now() + opts.timeoutMs;
  return new Promise<T>((resolve, reject) => {
    if (brokers.length === 0) return reject(new NoBrokerAnsweredError([]));
    const errors: KafkaWireError[] = [];
    let next = 0;
    let running = 0;
    let done = false;
    let staggerTimer: NodeJS.Timeout | undefined;
    // Once one broker has answered, the attempts still waiting on others are dropped.
    const losers = new AbortController();

    const finish = () => {
      done = true;
      if (staggerTimer) clearTimeout(staggerTimer);
      losers.abort();
    };
    const launch = () => {
      if (done) return;
      if (staggerTimer) clearTimeout(staggerTimer);
      if (next >= brokers.length) {
        if (running === 0) {
          finish();
          reject(new NoBrokerAnsweredError(errors));
        }
        return;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        if (running === 0) {
          finish();
          reject(new NoBrokerAnsweredError(errors));
        }
        return;
      }
      const b = brokers[next++];
      running++;
      attempt(b, left, losers.signal).then(
        (v) => {
          running--;
          if (done) return;
          finish();
          resolve(v);
        },
        (e) => {
          running--;
          if (done) return;
          errors.push(
            e instanceof KafkaWireError ? e : new KafkaWireError('protocol', brokerLabel(b), `broker ${brokerLabel(b)}: ${(e as Error)?.message ?? e}`),
          );
          launch();
        },
      );
      if (!done && next < brokers.length) staggerTimer = setTimeout(launch, Math.min(stagger, left));
    };
    launch();
  });
}
