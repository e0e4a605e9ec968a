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

  /** The ranges as stored (ascending, not touching): read, never changed. */
  get spans(): ReadonlyArray<readonly [number, number]> {
    return this.ranges;
  }

  /** How many offsets it holds. */
  get size(): number {
    let n = 0;
    for (const [a, b] of this.ranges) n += b - a + 1;
    return n;
  }

  has(offset: number): boolean {
    const i = this.indexAtOrAfter(offset);
    return i < this.ranges.length && this.ranges[i][0] <= offset;
  }

  /** Holds every offset from `from` to `to` (inclusive); true for an empty span (to < from). */
  covers(from: number, to: number): boolean {
    if (to < from) return true;
    const i = this.indexAtOrAfter(from);
    return i < this.ranges.length && this.ranges[i][0] <= from && this.ranges[i][1] >= to;
  }

  /** The lowest offset both hold, or null: each range of the smaller set looked up in the larger. */
  firstCommon(other: RangeSet): number | null {
    const [small, large] = this.ranges.length <= other.ranges.length ? [this, other] : [other, this];
    for (const [a, b] of small.ranges) {
      const i = large.indexAtOrAfter(a);
      if (i < large.ranges.length && large.ranges[i][0] <= b) return Math.max(a, large.ranges[i][0]);
    }
    return null;
  }

  intersects(other: RangeSet): boolean {
    return this.firstCommon(other) !== null;
  }

  /** The lowest offset this holds and `other` does not, or null when `other` holds all of this. */
  firstNotIn(other: RangeSet): number | null {
    for (const [a, b] of this.ranges) {
      let at = a;
      for (let i = other.indexAtOrAfter(a); at <= b; i++) {
        const r = other.ranges[i];
        if (!r || r[0] > at) return at;
        at = r[1] + 1;
      }
    }
    return null;
  }

  /** Adds every range of `other`. */
  addAll(other: RangeSet): void {
    for (const [a, b] of other.ranges) this.add(a, b);
  }

  toJSON(): Array<[string, string]> {
    return this.ranges.map(([a, b]) => [String(a), String(b)]);
  }

  /** An event's ranges of one partition (decimal strings); pairs that are not two offsets are left out. */
  static fromJSON(pairs: ReadonlyArray<readonly [string, string]>): RangeSet {
    const set = new RangeSet();
    for (const pair of pairs) {
      if (!Array.isArray(pair)) continue;
      const a = Number(pair[0]);
      const b = Number(pair[1]);
      if (Number.isSafeInteger(a) && Number.isSafeInteger(b) && a >= 0 && b >= a) set.add(a, b);
    }
    return set;
  }

  /** The index of the first range that ends at or after `offset` (binary search). */
  private indexAtOrAfter(offset: number): number {
    const r = this.ranges;
    let lo = 0;
    let hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r[mid][1] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
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
