import { rangeAssign, roundRobinAssign } from '../../src/kafka/lab-assigners';
import { MessageRing } from '../../src/consumers/message-ring';
import type { LabMessage } from '../../src/timeline/live-bus';

const msg = (seq: number): LabMessage => ({
  seq, consumerId: 'c', topic: 't', partition: 0, offset: String(seq), key: null, value: `m${seq}`, headers: {}, timestamp: new Date(0).toISOString(),
});

describe('MessageRing', () => {
  it('returns messages after a seq, oldest first, with next = last seq returned', () => {
    const r = new MessageRing(10);
    r.push([1, 2, 3, 4].map(msg));
    expect(r.after(0, 100).messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(r.after(2, 1)).toEqual({ messages: [msg(3)], next: 3 });
    expect(r.after(4, 10)).toEqual({ messages: [], next: 4 });
  });

  it('keeps only the last `capacity` messages; a stale cursor restarts at the oldest kept', () => {
    const r = new MessageRing(3);
    r.push([1, 2].map(msg));
    r.push([3, 4, 5].map(msg));
    expect(r.size).toBe(3);
    expect(r.after(0, 10).messages.map((m) => m.seq)).toEqual([3, 4, 5]);
    expect(r.after(3, 10).messages.map((m) => m.seq)).toEqual([4, 5]);
    r.push([6, 7].map(msg));
    expect(r.after(1, 10).messages.map((m) => m.seq)).toEqual([5, 6, 7]);
  });

  it('an empty ring answers next = after', () => {
    expect(new MessageRing(5).after(7, 10)).toEqual({ messages: [], next: 7 });
  });
});

describe('roundRobinAssign (Java RoundRobinAssignor)', () => {
  const parts = (n: number) => () => Array.from({ length: n }, (_, i) => i);

  it('deals the partitions to sorted members in turn: disjoint shares whose union is every partition', () => {
    const out = roundRobinAssign(
      [{ memberId: 'c', topics: ['t'] }, { memberId: 'a', topics: ['t'] }, { memberId: 'b', topics: ['t'] }],
      parts(8),
    );
    expect(out.get('a')).toEqual({ t: [0, 3, 6] });
    expect(out.get('b')).toEqual({ t: [1, 4, 7] });
    expect(out.get('c')).toEqual({ t: [2, 5] });
  });

  it('a member with no partition left gets an empty assignment, not none', () => {
    const out = roundRobinAssign([{ memberId: 'a', topics: ['t'] }, { memberId: 'b', topics: ['t'] }], parts(1));
    expect(out.get('a')).toEqual({ t: [0] });
    expect(out.get('b')).toEqual({});
  });

  it('skips members not subscribed to a topic', () => {
    const out = roundRobinAssign([{ memberId: 'a', topics: ['x'] }, { memberId: 'b', topics: ['x', 'y'] }], (t) => (t === 'x' ? [0, 1] : [0, 1]));
    expect(out.get('a')).toEqual({ x: [0] });
    expect(out.get('b')).toEqual({ x: [1], y: [0, 1] });
  });
});

describe('rangeAssign (Java RangeAssignor)', () => {
  it('gives contiguous ranges, the first members one extra', () => {
    const out = rangeAssign(
      [{ memberId: 'b', topics: ['t'] }, { memberId: 'a', topics: ['t'] }, { memberId: 'c', topics: ['t'] }],
      () => [0, 1, 2, 3, 4, 5, 6],
    );
    expect(out.get('a')).toEqual({ t: [0, 1, 2] });
    expect(out.get('b')).toEqual({ t: [3, 4] });
    expect(out.get('c')).toEqual({ t: [5, 6] });
  });
});
