import { Injectable, Logger } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import { LabDatabase } from './lab-database';
import { LiveBus } from './live-bus';
import { eventField, EventType, LabEvent, NewEvent } from './events';
import { EventScope } from './timeline.types';

export interface TimelineQuery {
  after?: number;
  types?: EventType[];
  limit?: number;
  /** Only events this predicate accepts (visibility per principal). */
  visible?: (scope: EventScope) => boolean;
  /** Only events this accepts too; asked after `visible`, once per event, in seq order (live replay). */
  match?: (ev: LabEvent, scope: EventScope) => boolean;
  /** Only events stored with this consumer id (read through its index, not by scanning the timeline). */
  consumerId?: string;
}

export const DEFAULT_LIMIT = 1000;
/** How many recent events stay in memory: pollers asking for "what is new" never touch the disk. */
export const TAIL_SIZE = 5000;
/** Rows read per round when a visibility filter may reject many of them. */
const SCAN_PAGE = 1000;

/** An event with who may see it, as stored. */
export interface Stored {
  ev: LabEvent;
  scope: EventScope;
}

/**
 * Runs before an event is stored, with what it is about: a part that gathers what happens into
 * events of its own (what a consumer received, what was produced) stores them first, so the order of
 * the timeline is the order things happened in. It may publish; it must not throw.
 */
export type BeforePublish = (type: EventType, fields: Record<string, unknown>, scope: EventScope) => void;

interface Row {
  seq: number;
  time: string;
  type: EventType;
  actor: string;
  owner: string | null;
  topic: string | null;
  group_id: string | null;
  consumer_id: string | null;
  body: string;
}

/**
 * The record of everything that happened on the lab: stored in SQLite (so a restart loses nothing a
 * grader needs), the newest events also kept in memory, and each new event handed to the LiveBus.
 */
@Injectable()
export class TimelineService {
  private readonly log = new Logger('Timeline');
  /** The newest events, oldest first: every stored event with seq >= tail[0].seq is in here. */
  private tail: Stored[] = [];
  private readonly beforeHooks: BeforePublish[] = [];
  private readonly insert: Statement<unknown[]>;
  private readonly selectAfter: Statement<[number, number]>;
  private readonly selectAfterTyped: Statement<[number, string, number]>;
  private readonly selectAfterConsumer: Statement<[string, number, number]>;

  constructor(
    private readonly database: LabDatabase,
    private readonly bus: LiveBus,
  ) {
    const db = database.db;
    this.insert = db.prepare(
      `INSERT INTO events (time, type, actor, owner, topic, group_id, consumer_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const cols = 'seq, time, type, actor, owner, topic, group_id, consumer_id, body';
    this.selectAfter = db.prepare(`SELECT ${cols} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`);
    this.selectAfterTyped = db.prepare(
      `SELECT ${cols} FROM events WHERE seq > ? AND type IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT ?`,
    );
    this.selectAfterConsumer = db.prepare(`SELECT ${cols} FROM events WHERE consumer_id = ? AND seq > ? ORDER BY seq LIMIT ?`);
    const newest = (db.prepare(`SELECT ${cols} FROM events ORDER BY seq DESC LIMIT ?`).all(TAIL_SIZE) as Row[]).reverse();
    this.tail = newest.map(fromRow);
  }

  /** Registers a hook that runs before every event is stored (BeforePublish says why). */
  beforePublish(hook: BeforePublish): void {
    this.beforeHooks.push(hook);
  }

  /** Stores the event, then tells the live listeners. `scope` says who may see it (kept, never sent). */
  publish(input: NewEvent, scope: EventScope = {}): LabEvent {
    const { type, actor, seq: _s, time: _t, ...fields } = input as NewEvent & { seq?: unknown; time?: unknown };
    for (const hook of this.beforeHooks) {
      try {
        hook(type, fields, scope);
      } catch (e) {
        this.log.warn(`A hook before storing ${type} failed: ${(e as Error).message}`);
      }
    }
    const time = new Date().toISOString();
    if (!this.database.isOpen) {
      // Only during shutdown, after the database closed: nobody is left to watch, and the order of the
      // record must not get a seq the database never gave.
      this.log.warn(`The timeline is closed; the ${type} event was not recorded.`);
      return { seq: 0, time, type, actor, ...fields } as LabEvent;
    }
    const body = JSON.stringify(fields);
    // The consumer column is what a consumer's story is read by (indexed): an event naming a consumer
    // is filed under it even when its publisher left it out of the scope.
    const named = (fields as Record<string, unknown>).consumerId;
    const consumerId = scope.consumerId ?? (typeof named === 'string' ? named : null);
    const res = this.insert.run(
      time, type, actor,
      scope.owner ?? null, scope.topic ?? null, scope.groupId ?? null, consumerId,
      body,
    );
    // The stored body is what the publisher gave, typed by NewEvent: the event is of the same type.
    const ev = { seq: Number(res.lastInsertRowid), time, type, actor, ...(JSON.parse(body) as Record<string, unknown>) } as LabEvent;
    const kept = compactScope(scope);
    this.tail.push({ ev, scope: kept });
    // Trim in bulk now and then rather than shifting on every publish.
    if (this.tail.length > 2 * TAIL_SIZE) this.tail = this.tail.slice(this.tail.length - TAIL_SIZE);
    this.bus.emit('event', ev, kept);
    return ev;
  }

  /** Events after `after`, oldest first; `next` is the last one's seq (or `after`) so pollers can loop. */
  query(q: TimelineQuery): { events: LabEvent[]; next: number } {
    const after = Math.max(0, Math.floor(q.after ?? 0));
    const limit = Math.max(0, Math.floor(q.limit ?? DEFAULT_LIMIT));
    const types = q.types && q.types.length ? q.types : undefined;
    const out: LabEvent[] = [];
    if (limit > 0) {
      if (this.tail.length === 0 || after >= this.tail[0].ev.seq - 1) this.fromTail(after, types, limit, q, out);
      else this.fromDisk(after, types, limit, q, out);
    }
    return { events: out, next: out.length ? out[out.length - 1].seq : after };
  }

  /**
   * Stored events after `after` with their scopes, oldest first, at most `limit`: for a part that folds
   * the whole timeline into a state of its own (grading) and reads it a page at a time.
   */
  scan(after: number, limit: number): Stored[] {
    const from = Math.max(0, Math.floor(after));
    if (this.tail.length && from >= this.tail[0].ev.seq - 1) {
      const i = firstAfter(this.tail, from);
      return this.tail.slice(i, i + limit);
    }
    return (this.selectAfter.all(from, limit) as Row[]).map(fromRow);
  }

  /** The seq of the newest stored event (0 when none). */
  get lastSeq(): number {
    return this.tail.length ? this.tail[this.tail.length - 1].ev.seq : 0;
  }

  private fromTail(after: number, types: EventType[] | undefined, limit: number, { visible, match, consumerId }: TimelineQuery, out: LabEvent[]): void {
    const typeSet = types ? new Set(types) : undefined;
    for (let i = firstAfter(this.tail, after); i < this.tail.length && out.length < limit; i++) {
      const { ev, scope } = this.tail[i];
      if (consumerId !== undefined && (scope.consumerId ?? eventField(ev, 'consumerId')) !== consumerId) continue;
      if (typeSet && !typeSet.has(ev.type)) continue;
      if (visible && !visible(scope)) continue;
      if (match && !match(ev, scope)) continue;
      out.push(ev);
    }
  }

  private fromDisk(after: number, types: EventType[] | undefined, limit: number, { visible, match, consumerId }: TimelineQuery, out: LabEvent[]): void {
    const typesJson = types ? JSON.stringify(types) : undefined;
    // A consumer's rows come by its index; the types are then checked here.
    const typeSet = types && consumerId !== undefined ? new Set(types) : undefined;
    // Without a filter one read is enough; with one, read pages until the limit is filled.
    const page = visible || match || typeSet ? Math.max(limit, SCAN_PAGE) : limit;
    let cursor = after;
    for (;;) {
      const rows = (
        consumerId !== undefined
          ? this.selectAfterConsumer.all(consumerId, cursor, page)
          : typesJson
            ? this.selectAfterTyped.all(cursor, typesJson, page)
            : this.selectAfter.all(cursor, page)
      ) as Row[];
      for (const row of rows) {
        if (typeSet && !typeSet.has(row.type)) continue;
        const { ev, scope } = fromRow(row);
        if (visible && !visible(scope)) continue;
        if (match && !match(ev, scope)) continue;
        out.push(ev);
        if (out.length >= limit) return;
      }
      if (rows.length < page) return;
      cursor = rows[rows.length - 1].seq;
    }
  }
}

/** Index of the first stored event with seq > after (binary search: seqs grow). */
function firstAfter(list: Stored[], after: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].ev.seq <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function compactScope(s: EventScope): EventScope {
  const out: EventScope = {};
  if (s.owner != null) out.owner = s.owner;
  if (s.topic != null) out.topic = s.topic;
  if (s.groupId != null) out.groupId = s.groupId;
  if (s.consumerId != null) out.consumerId = s.consumerId;
  return out;
}

function fromRow(r: Row): Stored {
  const ev = { seq: r.seq, time: r.time, type: r.type, actor: r.actor, ...(JSON.parse(r.body) as Record<string, unknown>) } as LabEvent;
  const scope: EventScope = {};
  if (r.owner !== null) scope.owner = r.owner;
  if (r.topic !== null) scope.topic = r.topic;
  if (r.group_id !== null) scope.groupId = r.group_id;
  if (r.consumer_id !== null) scope.consumerId = r.consumer_id;
  return { ev, scope };
}
