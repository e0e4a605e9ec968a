import type { OffsetRanges } from '../timeline/events';

/**
 * Offsets of one partition gathered as inclusive ranges while records arrive (mostly one after the
 * other, so a consumer's second of reading is usually one range). Offsets stay below 2^53 in any lab.
 */
export class RangeSet {
  /** [first, last] pairs, ascending, never touching. */
  private readonly ranges: Array<[number, number]> = [];

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  add(first: number, last = first): void {
    const r = this.ranges;
    const tail = r[r.length - 1];
    // The common case: the next offset or a later one.
    if (!tail || first > tail[1] + 1) {
      r.push([first, last]);
      return;
    }
    if (first >= tail[0] && first <= tail[1] + 1) {
      tail[1] = Math.max(tail[1], last);
      return;
    }
    // Out of order (a share record delivered again, a consumer sent back by a rebalance): merge in place.
    r.push([first, last]);
    r.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const x of r) {
      const m = merged[merged.length - 1];
      if (m && x[0] <= m[1] + 1) m[1] = Math.max(m[1], x[1]);
      else merged.push([x[0], x[1]]);
    }
    r.splice(0, r.length, ...merged);
  }

  toJSON(): Array<[string, string]> {
    return this.ranges.map(([a, b]) => [String(a), String(b)]);
  }
}

/** Per-partition range sets, stored as an event's `offsets`. */
export class PartitionRanges {
  private readonly byPartition = new Map<number, RangeSet>();

  get empty(): boolean {
    return this.byPartition.size === 0;
  }

  add(partition: number, first: number, last = first): void {
    let set = this.byPartition.get(partition);
    if (!set) this.byPartition.set(partition, (set = new RangeSet()));
    set.add(first, last);
  }

  toJSON(): OffsetRanges {
    const out: OffsetRanges = {};
    for (const [p, set] of [...this.byPartition].sort((a, b) => a[0] - b[0])) out[String(p)] = set.toJSON();
    return out;
  }
}
