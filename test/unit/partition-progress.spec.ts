import { stuckPartitions } from '../../src/consumers/partition-progress';

describe('spotting partitions a consumer holds but never reads', () => {
  const now = 100_000;
  const T = 20_000;
  const ends = new Map([
    ['t:0', { earliest: '0', latest: '5' }],
    ['t:1', { earliest: '0', latest: '3' }],
    ['t:2', { earliest: '0', latest: '0' }],
  ]);

  it('flags a partition with unread messages and no progress past the threshold', () => {
    const progress = new Map([
      ['t:0', { next: 5n, since: 0 }], // read up to the end: fine
      ['t:1', { next: null, since: 0 }], // assigned long ago, never read, 3 messages from the beginning: stuck
      ['t:2', { next: null, since: 0 }], // empty: fine
    ]);
    expect(stuckPartitions(['t:0', 't:1', 't:2'], progress, ends, new Map(), true, now, T)).toEqual(['t:1']);
  });

  it('gives a partition time after its last progress or assignment', () => {
    const progress = new Map([['t:1', { next: null, since: now - 5_000 }]]);
    expect(stuckPartitions(['t:1'], progress, ends, new Map(), true, now, T)).toEqual([]);
  });

  it('takes the committed offset as the position of a partition it has not read yet', () => {
    const progress = new Map([['t:0', { next: null, since: 0 }]]);
    expect(stuckPartitions(['t:0'], progress, ends, new Map([['t:0', 5n]]), true, now, T)).toEqual([]);
    expect(stuckPartitions(['t:0'], progress, ends, new Map([['t:0', 2n]]), false, now, T)).toEqual(['t:0']);
  });

  it('never guesses where a consumer that starts at the end stands', () => {
    const progress = new Map([['t:0', { next: null, since: 0 }]]);
    expect(stuckPartitions(['t:0'], progress, ends, new Map([['t:0', null]]), false, now, T)).toEqual([]);
  });

  it('flags a partition whose reading stopped while messages kept coming', () => {
    const progress = new Map([['t:0', { next: 2n, since: 0 }]]);
    expect(stuckPartitions(['t:0'], progress, ends, new Map(), false, now, T)).toEqual(['t:0']);
  });

  it('skips partitions whose ends are unknown (no leader)', () => {
    const progress = new Map([['t:9', { next: 0n, since: 0 }]]);
    expect(stuckPartitions(['t:9'], progress, new Map([['t:9', { earliest: null, latest: null }]]), new Map(), true, now, T)).toEqual([]);
  });
});
