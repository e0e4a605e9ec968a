import { RangeSet } from '../../src/common/offset-ranges';

const set = (...ranges: Array<[number, number]>) => {
  const r = new RangeSet();
  for (const [a, b] of ranges) r.add(a, b);
  return r;
};

describe('RangeSet queries grading uses', () => {
  it('has and covers', () => {
    const r = set([0, 3], [7, 9]);
    expect([0, 3, 4, 6, 7, 9, 10].map((o) => r.has(o))).toEqual([true, true, false, false, true, true, false]);
    expect(r.covers(0, 3)).toBe(true);
    expect(r.covers(1, 8)).toBe(false);
    expect(r.covers(7, 9)).toBe(true);
    expect(r.covers(5, 4)).toBe(true);
    expect(new RangeSet().covers(0, 0)).toBe(false);
    expect(r.size).toBe(7);
  });

  it('finds the first common offset and the first offset the other lacks', () => {
    const a = set([0, 3], [10, 12]);
    expect(a.firstCommon(set([4, 9]))).toBeNull();
    expect(a.firstCommon(set([4, 11]))).toBe(10);
    expect(set([2, 2], [11, 11], [40, 50]).firstCommon(a)).toBe(2);
    expect(a.intersects(set([12, 20]))).toBe(true);
    expect(a.firstNotIn(set([0, 3], [10, 12]))).toBeNull();
    expect(a.firstNotIn(set([0, 1], [3, 12]))).toBe(2);
    expect(a.firstNotIn(set([0, 11]))).toBe(12);
    expect(a.firstNotIn(new RangeSet())).toBe(0);
  });

  it('reads an event ranges back and merges sets', () => {
    const r = RangeSet.fromJSON([['5', '9'], ['0', '1'], ['x', '2'] as [string, string]]);
    expect(r.toJSON()).toEqual([['0', '1'], ['5', '9']]);
    r.addAll(set([2, 4]));
    expect(r.spans).toEqual([[0, 9]]);
  });
});
