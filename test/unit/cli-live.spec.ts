// eslint-disable-next-line @typescript-eslint/no-var-requires
const { SeqStream } = require('../../clients/cli/lib/live.js');

describe('klab: live items and backfill together', () => {
  const page = (all: Array<{ seq: number }>) => async (after: number) => {
    const items = all.filter((i) => i.seq > after);
    return { items, next: items.length ? items[items.length - 1].seq : after };
  };

  it('delivers older items that were stored before the subscription, even when live ones arrive first', async () => {
    const got: number[] = [];
    const s = new SeqStream((i: { seq: number }) => got.push(i.seq));
    const stored = [1, 2, 3, 4].map((seq) => ({ seq }));
    let subscribed = false;
    // The subscription's ack is followed at once by live items 3 and 4, before the first page is read.
    await s.backfill(page(stored), async () => {
      subscribed = true;
      s.push({ seq: 3 });
      s.push({ seq: 4 });
    });
    s.push({ seq: 5 });
    expect(subscribed).toBe(true);
    expect(got).toEqual([1, 2, 3, 4, 5]);
  });

  it('never delivers an item twice', async () => {
    const got: number[] = [];
    const s = new SeqStream((i: { seq: number }) => got.push(i.seq));
    s.push({ seq: 1 });
    await s.backfill(page([{ seq: 1 }, { seq: 2 }]));
    s.push({ seq: 2 });
    expect(got).toEqual([1, 2]);
  });
});
