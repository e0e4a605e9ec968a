import { API_QUIET_MS, ExternalWrites, JUDGE_AFTER_MS } from '../../src/messages/external-writes';

const T = 's-alice1.orders';
const ends = (e: Record<string, number>) => new Map(Object.entries(e).map(([k, v]) => [k, String(v)]));

describe('ExternalWrites: offsets moving beyond what the server wrote', () => {
  it('takes the first look as it is, then tells growth once it is old enough to judge, scoped to the topic\'s owner', () => {
    const w = new ExternalWrites();
    expect(w.look([T, '__consumer_offsets'], ends({ [`${T}:0`]: 10, [`${T}:1`]: 4, '__consumer_offsets:0': 99 }), 0)).toEqual([]);
    // kcat -P wrote 5 to partition 0 and 2 to partition 1; not judged before JUDGE_AFTER_MS.
    expect(w.look([T], ends({ [`${T}:0`]: 15, [`${T}:1`]: 6, '__consumer_offsets:0': 120 }), 2000)).toEqual([]);
    expect(w.look([T], ends({ [`${T}:0`]: 15, [`${T}:1`]: 6 }), 4000)).toEqual([]);
    expect(w.look([T], ends({ [`${T}:0`]: 15, [`${T}:1`]: 6 }), 2000 + JUDGE_AFTER_MS)).toEqual([
      {
        event: { type: 'messages.produced', actor: 'alice1', topic: T, count: 7, partitions: { '0': 5, '1': 2 }, offsets: { '0': [['10', '14']], '1': [['4', '5']] }, external: true },
        scope: { topic: T, owner: 'alice1' },
      },
    ]);
    // Judged once: the same ends later say nothing.
    expect(w.look([T], ends({ [`${T}:0`]: 15, [`${T}:1`]: 6 }), 20_000)).toEqual([]);
  });

  it('a shared topic\'s writer is not known: actor kafka, seen by everybody', () => {
    const w = new ExternalWrites();
    w.look(['news'], ends({ 'news:0': 0 }), 0);
    w.look(['news'], ends({ 'news:0': 3 }), 1000);
    expect(w.look(['news'], ends({ 'news:0': 3 }), 1000 + JUDGE_AFTER_MS)).toEqual([
      { event: { type: 'messages.produced', actor: 'kafka', topic: 'news', count: 3, partitions: { '0': 3 }, offsets: { '0': [['0', '2']] }, external: true }, scope: { topic: 'news' } },
    ]);
  });

  it('a topic the server wrote to within the last minute is not judged (a write it reported failed may still land)', () => {
    const w = new ExternalWrites();
    w.look([T], ends({ [`${T}:0`]: 0 }), 0);
    w.apiWrote(T, 500);
    w.look([T], ends({ [`${T}:0`]: 8 }), 1000);
    expect(w.look([T], ends({ [`${T}:0`]: 8 }), 1000 + JUDGE_AFTER_MS)).toEqual([]);
    w.look([T], ends({ [`${T}:0`]: 12 }), 500 + API_QUIET_MS);
    expect(w.look([T], ends({ [`${T}:0`]: 12 }), 500 + API_QUIET_MS + JUDGE_AFTER_MS).map((p) => p.event)).toMatchObject([{ count: 4, offsets: { '0': [['8', '11']] } }]);
  });

  it('a topic that appears while watched is counted from offset 0; so is one deleted and made again', () => {
    const w = new ExternalWrites();
    w.look([T], ends({ [`${T}:0`]: 5 }), 0);
    const made = 's-alice1.made-by-kcat';
    w.look([T, made], ends({ [`${T}:0`]: 5, [`${made}:0`]: 3 }), 1000);
    expect(w.look([T, made], ends({ [`${T}:0`]: 5, [`${made}:0`]: 3 }), 1000 + JUDGE_AFTER_MS).map((p) => p.event)).toMatchObject([{ topic: made, count: 3, offsets: { '0': [['0', '2']] } }]);
    w.forgetTopic(T);
    w.look([T, made], ends({ [`${T}:0`]: 2, [`${made}:0`]: 3 }), 10_000);
    expect(w.look([T, made], ends({ [`${T}:0`]: 2, [`${made}:0`]: 3 }), 10_000 + JUDGE_AFTER_MS).map((p) => p.event)).toMatchObject([{ topic: T, count: 2, offsets: { '0': [['0', '1']] } }]);
  });

  it('after a reset the next look is a first look again', () => {
    const w = new ExternalWrites();
    w.look([T], ends({ [`${T}:0`]: 5 }), 0);
    w.reset();
    w.look([T], ends({ [`${T}:0`]: 50 }), 1000);
    expect(w.look([T], ends({ [`${T}:0`]: 50 }), 1000 + JUDGE_AFTER_MS)).toEqual([]);
  });
});
