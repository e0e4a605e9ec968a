'use strict';
/**
 * Acknowledging share-group records from the terminal (KIP-932, `ack: "manual"` consumers): the command
 * lines `klab consume --ack manual` reads from stdin, the record specs `klab ack` takes, and the records
 * a consumer holds (delivered, not yet acknowledged) that a bare offset is looked up in. Pure: the
 * consume command does the I/O.
 */

/** Every spelling of the three acknowledgement types, short ones for typing fast under a record lock. */
const { OwnAcks } = require('../../lib/lab-client');

const VERBS = { a: 'accept', accept: 'accept', r: 'release', release: 'release', x: 'reject', reject: 'reject' };
/** A range expands to at most this many records: a typo like 5-50000000 should not become one request. */
const MAX_RANGE = 1000;

/** How the commands read, for the hint line and `?`. */
const COMMAND_HELP = [
  'a|accept, r|release, x|reject, each followed by records: <offset>, <partition>:<offset>,',
  '<topic>:<partition>:<offset>, a range 3-7, or "all" (every record held); l|list shows the held records',
].join(' ');

class AckSyntaxError extends Error {}

/**
 * One record spec: `all`, `5`, `3-7` (or `3..7`), `0:5`, `jobs:0:5`, `jobs:0:3-7`.
 * Answers `{ all: true }` or `{ topic?, partition?, from, to }`.
 */
function parseTarget(word) {
  if (word === 'all') return { all: true };
  const parts = word.split(':');
  if (parts.length > 3) throw new AckSyntaxError(`"${word}" is not a record: write <offset>, <partition>:<offset> or <topic>:<partition>:<offset>`);
  const offsets = parts.pop();
  const partition = parts.length ? parts.pop() : undefined;
  const topic = parts.length ? parts.pop() : undefined;
  if (topic === '') throw new AckSyntaxError(`"${word}" has an empty topic name`);
  if (partition !== undefined && !/^\d+$/.test(partition)) throw new AckSyntaxError(`"${partition}" in "${word}" is not a partition number`);
  const m = /^(\d+)(?:(?:-|\.\.)(\d+))?$/.exec(offsets);
  if (!m) throw new AckSyntaxError(`"${offsets}" in "${word}" is not an offset or a range like 3-7`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (to < from) throw new AckSyntaxError(`the range ${offsets} ends before it starts`);
  if (to - from + 1 > MAX_RANGE) throw new AckSyntaxError(`the range ${offsets} names more than ${MAX_RANGE} records`);
  return { ...(topic !== undefined ? { topic } : {}), ...(partition !== undefined ? { partition: Number(partition) } : {}), from, to };
}

/** The acknowledgement type a word names (`r` → `release`), or a sentence. */
function parseVerb(word) {
  const type = VERBS[String(word || '').toLowerCase()];
  if (!type) throw new AckSyntaxError(`"${word}" is not an acknowledgement: use accept (a), release (r) or reject (x)`);
  return type;
}

/**
 * One line typed to `klab consume --ack manual`. Answers null for an empty line or a `#` comment,
 * `{ action: 'help' }`, `{ action: 'list' }`, or `{ action: 'ack', type, targets }`.
 */
function parseCommand(line) {
  const words = String(line).trim().split(/[\s,]+/).filter(Boolean);
  if (!words.length || words[0].startsWith('#')) return null;
  const [first, ...rest] = words;
  const verb = first.toLowerCase();
  if (['?', 'help'].includes(verb)) return { action: 'help' };
  if (['l', 'list'].includes(verb)) return { action: 'list' };
  if (!VERBS[verb]) throw new AckSyntaxError(`unknown command "${first}": ${COMMAND_HELP}`);
  if (!rest.length) throw new AckSyntaxError(`say which records to ${VERBS[verb]}, e.g. "${verb} 5", "${verb} 0:5" or "${verb} all"`);
  return { action: 'ack', type: VERBS[verb], targets: rest.map(parseTarget) };
}

const recordKey = (topic, partition, offset) => `${topic}\u0000${partition}\u0000${offset}`;
/** `jobs [0] @5`, the way the CLI names one record. */
const recordName = (r) => `${r.topic} [${r.partition}] @${r.offset}`;

/** The records a manual share consumer was handed and has not acknowledged yet, as this terminal saw them. */
class HeldRecords {
  constructor(now = () => Date.now()) {
    this.now = now;
    this.records = new Map();
    this.listeners = new Set();
  }

  /** A delivered message (a redelivery replaces the older delivery of the same record). */
  add(m) {
    const offset = String(m.offset);
    this.records.set(recordKey(m.topic, m.partition, offset), {
      topic: m.topic, partition: m.partition, offset, value: m.value, deliveryCount: m.deliveryCount, since: this.now(),
    });
    for (const fn of [...this.listeners]) fn();
  }

  /**
   * Forgets acknowledged records. With `deliveries` (offset → the delivery count that was
   * acknowledged) a record delivered again meanwhile (a release that came back before its answer)
   * stays held.
   */
  remove(topic, partition, offsets, deliveries) {
    for (const o of offsets || []) {
      const key = recordKey(topic, partition, String(o));
      const held = this.records.get(key);
      if (held && deliveries && deliveries.has(String(o)) && deliveries.get(String(o)) !== held.deliveryCount) continue;
      this.records.delete(key);
    }
  }

  /** The held record (with its deliveryCount), or undefined. */
  get(topic, partition, offset) {
    return this.records.get(recordKey(topic, partition, String(offset)));
  }

  has(topic, partition, offset) {
    return this.records.has(recordKey(topic, partition, String(offset)));
  }

  /** Held records, by topic, partition and offset. */
  list() {
    return [...this.records.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || Number(a.offset) - Number(b.offset));
  }

  get size() {
    return this.records.size;
  }

  /** Calls `fn` after every add until the returned function is called. */
  onAdd(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** `l`: one line per held record with how long ago it came (the record lock runs meanwhile). */
  describe() {
    if (!this.records.size) return ['no records held'];
    return this.list().map((r) => {
      const age = Math.max(0, Math.round((this.now() - r.since) / 1000));
      const again = r.deliveryCount > 1 ? `, delivery ${r.deliveryCount}` : '';
      return `held: ${recordName(r)} ${r.value == null ? '(null)' : JSON.stringify(r.value)} (${age} s ago${again})`;
    });
  }
}

/**
 * Turns record specs into acknowledgements. A spec without a topic or partition is looked up in the
 * held records; when none matches, the consumer's only topic (`defaultTopic`) and, for a bare offset,
 * its only partition (`partitions` of length 1) stand in. With `heldOnly` (klab consume, which sees
 * every delivery) a record must be held, whatever the spec names. Answers `{ records, missing }`:
 * `missing` names the specs nothing matched yet (a record may still be on its way). Throws on an
 * ambiguous one.
 */
function resolveTargets(targets, held, { defaultTopic, partitions, heldOnly = false } = {}) {
  const records = [];
  const missing = [];
  const heldList = held ? held.list() : [];
  const push = (r) => {
    if (!records.some((x) => x.topic === r.topic && x.partition === r.partition && x.offset === r.offset)) records.push(r);
  };
  for (const t of targets) {
    if (t.all) {
      heldList.forEach((r) => push({ topic: r.topic, partition: r.partition, offset: r.offset }));
      continue;
    }
    for (let n = t.from; n <= t.to; n++) {
      const offset = String(n);
      if (t.topic !== undefined) {
        if (!heldOnly || (held && held.has(t.topic, t.partition, offset))) push({ topic: t.topic, partition: t.partition, offset });
        else missing.push(`${t.topic}:${t.partition}:${offset}`);
        continue;
      }
      const matches = heldList.filter((r) => r.offset === offset && (t.partition === undefined || r.partition === t.partition));
      if (matches.length > 1) {
        throw new AckSyntaxError(`offset ${offset} is held on ${matches.map((r) => `${r.topic} [${r.partition}]`).join(' and ')}: say which, e.g. ${matches[0].topic}:${matches[0].partition}:${offset}`);
      }
      if (matches.length === 1) push({ topic: matches[0].topic, partition: matches[0].partition, offset });
      else if (defaultTopic !== undefined && t.partition !== undefined) push({ topic: defaultTopic, partition: t.partition, offset });
      else if (defaultTopic !== undefined && partitions && partitions.length === 1) push({ topic: defaultTopic, partition: partitions[0], offset });
      else missing.push(t.partition === undefined ? `offset ${offset}` : `${t.partition}:${offset}`);
    }
  }
  return { records, missing };
}

/** Records as the acknowledge route takes them. */
const toAcks = (type, records) => records.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset, type }));

module.exports = {
  VERBS, COMMAND_HELP, MAX_RANGE, AckSyntaxError, parseTarget, parseVerb, parseCommand, resolveTargets,
  HeldRecords, OwnAcks, toAcks, recordName,
};
