/**
 * The host's wire format: JSON lines. Requests `{ id, op, ... }` are answered `{ id, ok: true, ... }`
 * or `{ id, ok: false, error, code? }`; lines with `ev` are unsolicited events. Every request has a
 * deadline, and every pending request fails with the same sentence when the host goes away.
 */

/** A refusal or failure the host answered with: its sentence and its code (e.g. NOT_HELD). */
export class HostRefusal extends Error {
  constructor(message: string, readonly code: string | undefined) {
    super(message);
  }
}

/** The host did not answer in time, or went away before answering. */
export class HostGone extends Error {}

/**
 * The host did not answer in time: it may still be running, and the request may still take effect
 * there (unlike the host gone away, which ended every member).
 */
export class HostTimeout extends HostGone {}

export type HostEvent = { ev: string; member?: string } & Record<string, unknown>;
type Answer = { id: number; ok: boolean; error?: string; code?: string } & Record<string, unknown>;

interface Pending {
  op: string;
  resolve: (a: Answer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class LineProtocol {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private partial = '';
  private closedWith: string | null = null;

  constructor(
    private readonly write: (line: string) => void,
    private readonly onEvent: (e: HostEvent) => void,
    /** A line that is not protocol (should not happen: the host sends everything else to its log). */
    private readonly onNoise: (line: string) => void = () => undefined,
  ) {}

  /** Sends a request; resolves with the answer's body, rejects with HostRefusal or HostGone. */
  request<T = Record<string, unknown>>(op: string, body: Record<string, unknown>, timeoutMs: number): Promise<T> {
    if (this.closedWith !== null) return Promise.reject(new HostGone(this.closedWith));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new HostTimeout(`the client host did not answer '${op}' within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.pending.set(id, {
        op,
        timer,
        reject,
        resolve: (a) => {
          if (a.ok) resolve(a as unknown as T);
          else reject(new HostRefusal(a.error ?? `the client host refused '${op}'`, a.code));
        },
      });
      try {
        this.write(JSON.stringify({ ...body, id, op }) + '\n');
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new HostGone(`the client host cannot be written to: ${(e as Error).message}`));
      }
    });
  }

  /** Feeds bytes read from the host's stdout. */
  feed(chunk: string): void {
    this.partial += chunk;
    const lines = this.partial.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (!line.trim()) return;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.onNoise(line);
      return;
    }
    if (typeof msg.ev === 'string') {
      this.onEvent(msg as HostEvent);
      return;
    }
    const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!p) return; // answered after its deadline
    clearTimeout(p.timer);
    this.pending.delete(msg.id as number);
    p.resolve(msg as Answer);
  }

  /** The host is gone: every pending request fails with `reason`, later ones at once. */
  close(reason: string): void {
    this.closedWith = reason;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new HostGone(reason));
    }
  }

  pendingCount(): number {
    return this.pending.size;
  }
}
