import { Logger } from '@nestjs/common';
import { ConsumerSession } from '../../src/consumers/consumer-session';
import type { KafkaService } from '../../src/kafka/kafka.service';
import { LiveBus } from '../../src/timeline/live-bus';
import type { NewEvent } from '../../src/timeline/timeline.types';

/** A kafkajs consumer stand-in: records listeners so the test can play kafkajs's instrumentation events. */
function fakeConsumer() {
  const listeners = new Map<string, (e: { payload: any }) => void>();
  const events = { GROUP_JOIN: 'join', HEARTBEAT: 'hb', COMMIT_OFFSETS: 'commit', FETCH_START: 'fs', FETCH: 'fetch', REBALANCING: 'reb', CRASH: 'crash' };
  return {
    events,
    disconnected: false,
    on: (name: string, fn: (e: { payload: any }) => void) => (listeners.set(name, fn), () => listeners.delete(name)),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async () => undefined,
    async disconnect() { this.disconnected = true; },
    fire: (name: keyof typeof events, payload: any) => listeners.get(events[name])?.({ payload }),
  };
}

function setup() {
  const consumer = fakeConsumer();
  const published: NewEvent[] = [];
  const kafka = { consumer: () => consumer } as unknown as KafkaService;
  const timeline = { publish: (ev: NewEvent) => (published.push(ev), ev) } as any;
  const session = new ConsumerSession(
    { id: 'abc12345', name: 'c', owner: 'instructor', groupId: 'g', topics: ['t'], clusterGroupId: 'g', clusterTopics: ['t'], fromBeginning: false },
    { kafka, timeline, bus: new LiveBus(), sessionTimeoutMs: 6000, log: new Logger('test') },
  );
  const rebalances = () => published.filter((e) => e.type === 'group.rebalanced');
  return { consumer, session, published, rebalances };
}

describe('ConsumerSession rebalance story', () => {
  it('publishes one group.rebalanced per join, with the generation from the next heartbeat', async () => {
    const { consumer, session, rebalances } = setup();
    await session.start('instructor');
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0, 1, 2] } });
    expect(session.view()).toMatchObject({ state: 'running', memberId: 'm1', assignment: [{ topic: 't', partitions: [0, 1, 2] }] });
    expect(rebalances()).toHaveLength(0); // waiting for the generation
    consumer.fire('HEARTBEAT', { memberId: 'm1', groupGenerationId: 7 });
    expect(rebalances()).toEqual([
      expect.objectContaining({ groupId: 'g', consumerId: 'abc12345', memberId: 'm1', generation: 7, assigned: [{ topic: 't', partitions: [0, 1, 2] }], revoked: [] }),
    ]);

    // Another member joins: this one loses partition 1.
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0, 2] } });
    consumer.fire('COMMIT_OFFSETS', { memberId: 'm1', groupGenerationId: 8 });
    expect(rebalances()[1]).toMatchObject({ generation: 8, assigned: [], revoked: [{ topic: 't', partitions: [1] }] });

    // A rejoin of the same generation with the same partitions (coordinator failover) is not a rebalance.
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [2, 0] } });
    consumer.fire('HEARTBEAT', { memberId: 'm1', groupGenerationId: 8 });
    expect(rebalances()).toHaveLength(2);

    // A new generation is a rebalance even when this member's share did not change.
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0, 2] } });
    consumer.fire('HEARTBEAT', { memberId: 'm1', groupGenerationId: 9 });
    expect(rebalances()).toHaveLength(3);
    expect(rebalances()[2]).toMatchObject({ generation: 9, assigned: [], revoked: [] });
  });

  it('stop revokes everything and says consumer.stopped; a second stop is a conflict', async () => {
    const { consumer, session, published, rebalances } = setup();
    await session.start('instructor');
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [1, 3] } });
    consumer.fire('HEARTBEAT', { memberId: 'm1', groupGenerationId: 2 });
    await session.stop('instructor');
    expect(consumer.disconnected).toBe(true);
    expect(session.view()).toMatchObject({ state: 'stopped', assignment: [] });
    expect(rebalances()[1]).toMatchObject({ assigned: [], revoked: [{ topic: 't', partitions: [1, 3] }] });
    expect(published.map((e) => e.type)).toEqual(['consumer.started', 'group.rebalanced', 'group.rebalanced', 'consumer.stopped']);
    await expect(session.stop('instructor')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(() => session.kill('instructor')).toThrow(/not running/);
  });

  it('a crash with restart: consumer.crashed once, then consumer.recovered at the next join (new memberId)', async () => {
    const { consumer, session, published } = setup();
    await session.start('instructor');
    consumer.fire('GROUP_JOIN', { memberId: 'm1', memberAssignment: { t: [0] } });
    consumer.fire('CRASH', { error: new Error('boom'), restart: true });
    consumer.fire('CRASH', { error: new Error('boom again'), restart: true });
    expect(session.view().state).toBe('crashed');
    consumer.fire('GROUP_JOIN', { memberId: 'm2', memberAssignment: { t: [0] } });
    consumer.fire('HEARTBEAT', { memberId: 'm2', groupGenerationId: 5 });
    expect(session.view()).toMatchObject({ state: 'running', memberId: 'm2', id: 'abc12345' });
    const types = published.map((e) => e.type);
    expect(types.filter((t) => t === 'consumer.crashed')).toHaveLength(1);
    expect(types.filter((t) => t === 'consumer.recovered')).toHaveLength(1);
    session.kill('instructor');
    expect(session.view().state).toBe('killed');
  });
});
