import { RangeSet } from '../../../common/offset-ranges';
import type { Evidence } from '../../grading.types';
import { evidence, messagesOf } from '../evidence';
import type { Rule } from '../rule';
import { Change, ConsumerState, DownWrite, Outage, PartState, visibleTo } from '../world-state';

/**
 * A message written while a broker was down, on a partition whose leader changed during that same
 * outage (after the broker went down, before it came back), received by one of the student's
 * consumers. Whoever stopped the broker (the instructor) and whoever produced, it counts for the
 * student whose consumer read through it. The write, the receipt and the leader change may be stored in
 * any order (writes and receipts are flushed about once a second, by different parts of the server,
 * leader changes when the partition watcher sees them): the rule looks at each of the three with the
 * other two already there. Offsets written during the outage cannot have been received before the
 * broker went down, so a receipt found later came after it.
 */
export class BrokerFailoverRule implements Rule {
  readonly id = 'broker-failover' as const;

  check(change: Change): Evidence | null {
    if (change.kind === 'consumed') {
      const c = change.consumer;
      for (const { part, ranges } of change.receipt) {
        if (part.downWrites.length === 0 || part.leaderChanges.length === 0) continue;
        for (const [first, last] of ranges.spans) {
          for (let i = firstEndingAtOrAfter(part.downWrites, first); i < part.downWrites.length && part.downWrites[i].first <= last; i++) {
            const run = part.downWrites[i];
            const failover = leaderChangeDuring(part, run.outages);
            if (failover) return proof(change.student, c, part, run, failover, clip(ranges, run.first, run.last), change.seq);
          }
        }
      }
      return null;
    }
    if (change.kind === 'written') {
      for (const { part, run, first, last } of change.writes) {
        const failover = leaderChangeDuring(part, run.outages);
        const proven = failover && readBack(change.student, part, run, failover, first, last);
        if (proven) return proven;
      }
      return null;
    }
    if (change.kind !== 'leader-changed') return null;
    const part = change.part;
    for (const run of part.downWrites) {
      // Only this leader change is new: a run whose outages it is not within was looked at before.
      if (!run.outages.some((o) => o.downSeq < change.seq && (o.upSeq === null || change.seq < o.upSeq))) continue;
      const failover = leaderChangeDuring(part, run.outages);
      const proven = failover && readBack(change.student, part, run, failover, run.first, run.last);
      if (proven) return proven;
    }
    return null;
  }
}

/** A consumer of the student's that already received some of offsets `first`–`last` of the run. */
function readBack(student: string, part: PartState, run: DownWrite, failover: Failover, first: number, last: number): Evidence | null {
  for (const c of part.readers.get(student) ?? []) {
    const got = c.received.get(part);
    const both = got ? clip(got, first, last) : null;
    if (both && !both.empty) return proof(student, c, part, run, failover, both, c.seqOf(part, both.spans[0][0]));
  }
  return null;
}

interface Failover {
  outage: Outage;
  leaderSeq: number;
}

function proof(student: string, c: ConsumerState, part: PartState, run: DownWrite, { outage, leaderSeq }: Failover, got: RangeSet, receiptSeq: number): Evidence {
  // Another student's writes to a shared topic count, but they cannot be shown to this one.
  const writes = [...run.writers].filter(([owner]) => visibleTo(student, owner)).map(([, w]) => w.seq);
  return evidence({
    summary:
      `Broker ${outage.nodeId} went down; the leader of topic ${part.topic.name} partition ${part.partition} changed; ` +
      `offsets ${run.first}–${run.last} were written there meanwhile and consumer ${c.id} received offset ${got.spans[0][0]}.`,
    events: [outage.downSeq, leaderSeq, ...writes, c.startedSeq, receiptSeq],
    consumers: [c],
    messages: messagesOf(c, part, got),
    topics: [part.topic.name],
    groups: [c.group.id],
    nodes: [outage.nodeId],
  });
}

/** A leader change of the partition within one of the outages (between its down and its up). */
function leaderChangeDuring(part: PartState, outages: readonly Outage[]): Failover | null {
  for (const outage of outages) {
    const leaderSeq = part.leaderChangeBetween(outage.downSeq, outage.upSeq);
    if (leaderSeq) return { outage, leaderSeq };
  }
  return null;
}

/** The offsets of `set` from `from` to `to`. */
function clip(set: RangeSet, from: number, to: number): RangeSet {
  const out = new RangeSet();
  for (const [a, b] of set.spans) if (a <= to && b >= from) out.add(Math.max(a, from), Math.min(b, to));
  return out;
}

/** The first run whose last offset is at or after `offset` (runs are in offset order). */
function firstEndingAtOrAfter(runs: readonly DownWrite[], offset: number): number {
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (runs[mid].last < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
