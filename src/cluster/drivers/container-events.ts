import type { ContainerClient } from './container-client';

/** What the driver needs of one engine event. */
export interface ContainerEvent {
  containerId: string;
  /** The engine's action: `die`, `pause`, `unpause`, ... */
  action: string;
  /** With `die`: the exit code when the engine gave one. */
  exitCode: number | null;
}

/** One event as Docker and podman send it (both old `status`/`id` and new `Action`/`Actor` fields). */
interface EngineEvent {
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
}

/** Reads the engine's event objects from a stream: newline-separated, or one object per chunk. */
export class EventLineReader {
  private buf = '';

  constructor(private readonly onObject: (o: EngineEvent) => void) {}

  push(chunk: Buffer | string): void {
    this.buf += chunk.toString();
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) this.parse(line, () => undefined);
    }
    // Some engines send one JSON object per chunk without a newline.
    if (this.buf.trim().endsWith('}')) this.parse(this.buf, () => (this.buf = ''));
  }

  private parse(text: string, parsed: () => void): void {
    let o: EngineEvent;
    try {
      o = JSON.parse(text);
    } catch {
      return; // not an event, or an incomplete object: wait for the rest
    }
    parsed();
    try {
      this.onObject(o);
    } catch {
      // A listener's failure must not break the stream: the next event is read all the same.
    }
  }
}

/**
 * The engine's container events for our owner label, turned into ContainerEvents. When the stream
 * ends (the engine went away or restarted) it is opened again while `wanted()` says so, replaying
 * from the last event seen, so a container that died meanwhile is still reported.
 */
export class ContainerEventStream {
  private stream: NodeJS.ReadableStream | null = null;
  private opening: Promise<void> | null = null;
  private lastEventSec = 0;
  private closed = false;

  constructor(
    private readonly client: ContainerClient,
    private readonly label: string,
    private readonly onEvent: (ev: ContainerEvent) => void,
    private readonly wanted: () => boolean,
    private readonly reopenAfterMs = 1000,
  ) {}

  /** Resolves once the stream is open (at once when it is). */
  open(): Promise<void> {
    if (this.stream) return Promise.resolve();
    if (this.opening) return this.opening;
    this.closed = false;
    this.opening = this.client
      .events(this.label, this.lastEventSec || undefined)
      .then((stream) => {
        this.stream = stream;
        const reader = new EventLineReader((o) => this.onEngineEvent(o));
        stream.on('data', (chunk: Buffer) => reader.push(chunk));
        const reopen = () => {
          if (this.stream !== stream) return;
          this.stream = null;
          if (!this.closed && this.wanted()) {
            setTimeout(() => void this.open().catch(() => undefined), this.reopenAfterMs).unref();
          }
        };
        stream.on('end', reopen);
        stream.on('close', reopen);
        stream.on('error', reopen);
      })
      .finally(() => {
        this.opening = null;
      });
    return this.opening;
  }

  close(): void {
    this.closed = true;
    const s = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | null;
    this.stream = null;
    s?.destroy?.();
  }

  private onEngineEvent(ev: EngineEvent): void {
    if (ev.time) this.lastEventSec = Math.max(this.lastEventSec, ev.time);
    const containerId = ev.Actor?.ID ?? ev.id;
    const action = ev.Action ?? ev.status;
    if (!containerId || !action) return;
    const raw = ev.Actor?.Attributes?.exitCode;
    this.onEvent({ containerId, action, exitCode: raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : null });
  }
}
