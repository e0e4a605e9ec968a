import { DefaultPartitioner } from '../../src/kafka/partitioner';

describe('DefaultPartitioner', () => {
  const parts = [0, 1, 2, 3, 4, 5].map((partition) => ({ partition, leader: 1 }));

  it('keeps an explicit partition, and puts one key always on the same partition', () => {
    const place = new DefaultPartitioner().placement('t', parts);
    expect(place({ key: 'k', value: 'v', partition: 4 })).toBe(4);
    const first = place({ key: 'order-17', value: 'a' });
    for (let i = 0; i < 20; i++) expect(place({ key: 'order-17', value: String(i) })).toBe(first);
    // Another placement (another request) agrees: placement depends on the key, not on state.
    expect(new DefaultPartitioner().placement('t', parts)({ key: Buffer.from('order-17'), value: 'b' })).toBe(first);
  });

  it('spreads keyed messages over every partition', () => {
    const place = new DefaultPartitioner().placement('t', parts);
    const used = new Set(Array.from({ length: 200 }, (_, i) => place({ key: `k${i}`, value: null })));
    expect([...used].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
