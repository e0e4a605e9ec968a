import {
  diffAssignments,
  isEmptyAssignment,
  normalizeAssignment,
  partitionCount,
  sameAssignment,
  subtractAssignment,
} from '../../src/consumers/assignment-diff';

describe('normalizeAssignment', () => {
  it('turns kafkajs { topic: partitions } into sorted { topic, partitions } and drops empty topics', () => {
    expect(normalizeAssignment({ b: [2, 0], a: [3, 1, 1], c: [] })).toEqual([
      { topic: 'a', partitions: [1, 3] },
      { topic: 'b', partitions: [0, 2] },
    ]);
  });

  it('merges a list that names a topic twice', () => {
    expect(normalizeAssignment([{ topic: 't', partitions: [4] }, { topic: 't', partitions: [1, 4] }])).toEqual([
      { topic: 't', partitions: [1, 4] },
    ]);
  });

  it('treats null and undefined as no assignment', () => {
    expect(normalizeAssignment(null)).toEqual([]);
    expect(normalizeAssignment(undefined)).toEqual([]);
  });
});

describe('diffAssignments (eager rebalance seen from one member)', () => {
  it('first join: everything is assigned, nothing revoked', () => {
    expect(diffAssignments([], normalizeAssignment({ t: [0, 1, 2] }))).toEqual({
      assigned: [{ topic: 't', partitions: [0, 1, 2] }],
      revoked: [],
    });
  });

  it('a second member joins: this one keeps some partitions and loses the rest', () => {
    const prev = normalizeAssignment({ t: [0, 1, 2, 3] });
    const next = normalizeAssignment({ t: [0, 2] });
    expect(diffAssignments(prev, next)).toEqual({ assigned: [], revoked: [{ topic: 't', partitions: [1, 3] }] });
  });

  it('a member leaves: the survivor gains its partitions', () => {
    const prev = normalizeAssignment({ t: [1] });
    const next = normalizeAssignment({ t: [0, 1, 2] });
    expect(diffAssignments(prev, next)).toEqual({ assigned: [{ topic: 't', partitions: [0, 2] }], revoked: [] });
  });

  it('gains and losses across several topics at once', () => {
    const prev = normalizeAssignment({ a: [0, 1], b: [5] });
    const next = normalizeAssignment({ a: [1, 2], c: [0] });
    expect(diffAssignments(prev, next)).toEqual({
      assigned: [
        { topic: 'a', partitions: [2] },
        { topic: 'c', partitions: [0] },
      ],
      revoked: [
        { topic: 'a', partitions: [0] },
        { topic: 'b', partitions: [5] },
      ],
    });
  });

  it('stop or crash: the previous assignment is revoked in full', () => {
    const prev = normalizeAssignment({ t: [0, 3] });
    expect(diffAssignments(prev, [])).toEqual({ assigned: [], revoked: [{ topic: 't', partitions: [0, 3] }] });
  });

  it('a rejoin with the same partitions (broker failover) changes nothing', () => {
    const a = normalizeAssignment({ t: [2, 0] });
    const b = normalizeAssignment([{ topic: 't', partitions: [0, 2] }]);
    const d = diffAssignments(a, b);
    expect(isEmptyAssignment(d.assigned)).toBe(true);
    expect(isEmptyAssignment(d.revoked)).toBe(true);
    expect(sameAssignment(a, b)).toBe(true);
    expect(sameAssignment(a, normalizeAssignment({ t: [0] }))).toBe(false);
  });

  it('same partition number on different topics is a different partition', () => {
    expect(diffAssignments(normalizeAssignment({ a: [0] }), normalizeAssignment({ b: [0] }))).toEqual({
      assigned: [{ topic: 'b', partitions: [0] }],
      revoked: [{ topic: 'a', partitions: [0] }],
    });
  });

  it('assigned and revoked of all members of a group partition the moved partitions', () => {
    // Three members share 6 partitions; member z leaves and x, y take its partitions.
    const before = { x: normalizeAssignment({ t: [0, 3] }), y: normalizeAssignment({ t: [1, 4] }), z: normalizeAssignment({ t: [2, 5] }) };
    const after = { x: normalizeAssignment({ t: [0, 2, 4] }), y: normalizeAssignment({ t: [1, 3, 5] }), z: [] };
    const moves = (['x', 'y', 'z'] as const).map((m) => diffAssignments(before[m], after[m]));
    const gained = moves.flatMap((d) => d.assigned.flatMap((tp) => tp.partitions)).sort();
    const lost = moves.flatMap((d) => d.revoked.flatMap((tp) => tp.partitions)).sort();
    expect(gained).toEqual(lost);
    expect(gained).toEqual([2, 3, 4, 5]);
  });
});

describe('subtractAssignment and partitionCount', () => {
  it('subtracts per topic and counts partitions', () => {
    const a = normalizeAssignment({ a: [0, 1, 2], b: [0] });
    const r = subtractAssignment(a, normalizeAssignment({ a: [1], b: [0] }));
    expect(r).toEqual([{ topic: 'a', partitions: [0, 2] }]);
    expect(partitionCount(a)).toBe(4);
    expect(partitionCount(r)).toBe(2);
  });
});
