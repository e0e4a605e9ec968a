import { Logger } from '@nestjs/common';
import type {
  AckRequest,
  ClientHost,
  HostedAckResult,
  HostedMember,
  HostedMemberEvents,
  HostedMemberSpec,
  HostedRecord,
} from '../../src/client-host/client-host.types';
import { badInput, LabError } from '../../src/common/lab-error';
import { BACKOFF_FIRST_MS } from '../../src/consumers/consumer-supervisor';
import { HostedSession } from '../../src/consumers/hosted-session';
import { ShareLedger } from '../../src/consumers/share-story';
import { LabMessage, LiveBus } from '../../src/timeline/live-bus';
import type { NewEvent } from '../../src/timeline/events';

/** One member the stub host started: its spec, the session's callbacks, and what was asked of it. */
interface StubMember {
  spec: HostedMemberSpec;
  events: HostedMemberEvents;
  calls: string[];
  acks: AckRequest[][];
  /** What its acknowledge answers (default: every ack taken). */
  answer?: (acks: AckRequest[]) => HostedAckResult[];
}

/** A ClientHost stand-in: records members; startMember fails while `failStarts` > 0. */
function stubHost() {
  const members: StubMember[] = [];
  const state = { failStarts: 0, refuseVanish: false, beforeResolve: null as null | ((m: StubMember) => void) };
  const host: ClientHost = {
    async startMember(spec, events) {
      if (state.failStarts > 0) {
        state.failStarts -= 1;
        throw new Error('the client host JVM is starting again');
      }
      const m: StubMember = { spec, events, calls: [], acks: [] };
      members.push(m);
      state.beforeResolve?.(m);
      const member: HostedMember = {
        consumerId: spec.consumerId,
        leave: async () => void m.calls.push('leave'),
        vanish: async () => {
          m.calls.push('vanish');
          if (state.refuseVanish) throw new Error('The client host runs without its network cutter, so a member cannot vanish without leaving.');
        },
        acknowledge: async (acks) => {
          m.acks.push(acks);
          if (m.answer) return m.answer(acks);
          return acks.map((a) => ({ topic: a.topic, partition: a.partition, offsets: [a.offset], type: a.type }));
        },
      };
      return member;
    },
    describeGroup: async () => null,
    listGroups: async () => [],
    pid: () => 4242,
  };
  return { host, members, state };
}

function setup(protocol: 'consumer' | 'share', opts: { ack?: 'auto' | 'manual'; id?: string; ledger?: ShareLedger; published?: NewEvent[]; host?: ReturnType<typeof stubHost> } = {}) {
  const stub = opts.host ?? stubHost();
  const published = opts.published ?? [];
  const messages: LabMessage[] = [];
  const bus = new LiveBus();
  bus.on('messages', (_id, _owner, batch) => messages.push(...batch));
  let seq = 0;
  const timeline = { publish: (ev: NewEvent) => ({ ...ev, seq: ++seq }), lastSeq: 0 } as any;
  const realPublish = timeline.publish;
  timeline.publish = (ev: NewEvent) => (published.push(ev), realPublish(ev));
  const id = opts.id ?? 'abc12345';
  const session = new HostedSession(
    { id, name: 'd1', owner: 'student-1', groupId: 'g', topics: ['t'], clusterGroupId: 'g', clusterTopics: ['t'], fromBeginning: true, protocol, ack: opts.ack ?? 'auto' },
    { host: stub.host, timeline, bus, log: new Logger('test'), ledger: opts.ledger ?? new ShareLedger(), deliveryLimit: 3 },
  );
  const types = () => published.map((e) => e.type);
  const ofType = <T extends NewEvent['type']>(t: T) => published.filter((e) => e.type === t) as Array<Extract<NewEvent, { type: T }>>;
  /** This session's newest member (the stub host may serve several sessions). */
  const member = () => stub.members.filter((m) => m.spec.consumerId === id).slice(-1)[0];
  return { stub, session, published, messages, types, ofType, member };
}

const rec = (offset: number, deliveryCount?: number, partition = 0): HostedRecord => ({
  topic: 't',
  partition,
  offset: String(offset),
  key: null,
  value: `job${offset}`,
  headers: {},
  timestamp: '1700000000000',
  ...(deliveryCount !== undefined ? { deliveryCount } : {}),
});

const tp = (...partitions: number[]) => [{ topic: 't', partitions }];

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('HostedSession, consumer protocol', () => {
  it('tells each reconciliation step as group.rebalanced with the member epoch, only what moved, and what it owns', async () => {
    const { session, member, ofType, types, messages } = setup('consumer');
    await session.start('student-1');
    expect(member().spec).toMatchObject({ consumerId: 'abc12345', protocol: 'consumer', groupId: 'g', topics: ['t'], clientId: 'klab-abc12345', fromBeginning: true });
    expect(session.view()).toMatchObject({ state: 'joining', protocol: 'consumer', memberEpoch: null, memberId: null });
    expect(session.view().ack).toBeUndefined();

    member().events.joined('m-1', 1);
    member().events.rebalanced({ memberId: 'm-1', memberEpoch: 1, assigned: tp(0, 1, 2, 3, 4, 5), revoked: [], owned: tp(0, 1, 2, 3, 4, 5) });
    // Another member joins: this one gives up 3..5 and keeps 0..2, at a higher epoch.
    member().events.rebalanced({ memberId: 'm-1', memberEpoch: 3, assigned: [], revoked: tp(3, 4, 5), owned: tp(0, 1, 2) });

    expect(ofType('group.rebalanced')).toEqual([
      expect.objectContaining({ groupId: 'g', consumerId: 'abc12345', memberId: 'm-1', protocol: 'consumer', memberEpoch: 1, generation: 1, assigned: tp(0, 1, 2, 3, 4, 5), revoked: [], owned: tp(0, 1, 2, 3, 4, 5) }),
      expect.objectContaining({ memberEpoch: 3, generation: 3, assigned: [], revoked: tp(3, 4, 5), owned: tp(0, 1, 2) }),
    ]);
    expect(session.view()).toMatchObject({ state: 'running', memberId: 'm-1', memberEpoch: 3, assignment: tp(0, 1, 2) });

    member().events.records([rec(10, undefined, 1), rec(11, undefined, 1)]);
    expect(messages.map((m) => [m.partition, m.offset, m.value])).toEqual([[1, '10', 'job10'], [1, '11', 'job11']]);
    expect(messages[0]).not.toHaveProperty('deliveryCount');
    expect(session.view().received).toBe(2);
    expect(session.messages(0, 10).messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(types()).toEqual(['consumer.started', 'group.rebalanced', 'group.rebalanced']);
  });

  it('is ready at its first assignment step, or a few seconds after joining when it is given nothing', async () => {
    const { session, member } = setup('consumer');
    await session.start('student-1');
    let ready = false;
    void session.whenReady(60_000).then(() => (ready = true));
    member().events.joined('m-1', 1);
    await jest.advanceTimersByTimeAsync(100);
    expect(ready).toBe(false);
    member().events.rebalanced({ memberId: 'm-1', memberEpoch: 2, assigned: tp(0), revoked: [], owned: tp(0) });
    await jest.advanceTimersByTimeAsync(0);
    expect(ready).toBe(true);

    const idle = setup('consumer', { id: 'idle0001' });
    await idle.session.start('student-1');
    let idleReady = false;
    void idle.session.whenReady(60_000).then(() => (idleReady = true));
    idle.member().events.joined('m-2', 1);
    await jest.advanceTimersByTimeAsync(2900);
    expect(idleReady).toBe(false);
    await jest.advanceTimersByTimeAsync(200);
    expect(idleReady).toBe(true);
  });

  it('plays reports that arrive before the host answered after consumer.started', async () => {
    const stub = stubHost();
    stub.state.beforeResolve = (m) => m.events.joined('m-early', 4);
    const { session, types } = setup('consumer', { host: stub });
    await session.start('student-1');
    expect(types()).toEqual(['consumer.started']);
    expect(session.view()).toMatchObject({ state: 'running', memberId: 'm-early', memberEpoch: 4, seq: 1 });
  });

  it('stop leaves the group (never vanishes), revokes what it owned and ignores its member from then on', async () => {
    const { session, member, ofType, types } = setup('consumer');
    await session.start('student-1');
    const m = member();
    m.events.joined('m-1', 1);
    m.events.rebalanced({ memberId: 'm-1', memberEpoch: 1, assigned: tp(0, 1), revoked: [], owned: tp(0, 1) });
    await session.stop('student-1');
    expect(m.calls).toEqual(['leave']);
    expect(ofType('group.rebalanced')[1]).toMatchObject({ assigned: [], revoked: tp(0, 1), owned: [] });
    expect(types().slice(-1)).toEqual(['consumer.stopped']);
    // The host may still report the member's last revocation as it closes: not told twice.
    m.events.rebalanced({ memberId: 'm-1', memberEpoch: 2, assigned: [], revoked: tp(0, 1), owned: [] });
    m.events.records([rec(5)]);
    expect(ofType('group.rebalanced')).toHaveLength(2);
    expect(session.view()).toMatchObject({ state: 'stopped', assignment: [], received: 0 });
    await expect(session.stop('student-1')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(session.kill('student-1')).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('kill makes the member vanish without leaving', async () => {
    const { session, member, types } = setup('consumer');
    await session.start('student-1');
    member().events.joined('m-1', 1);
    await session.kill('instructor');
    expect(member().calls).toEqual(['vanish']);
    expect(session.view().state).toBe('killed');
    expect(types()).toEqual(['consumer.started', 'consumer.killed']);
  });

  it('kill, when the host refuses the vanish: the member leaves instead of running on unseen', async () => {
    const { session, member, stub, types } = setup('consumer');
    await session.start('student-1');
    member().events.joined('m-1', 1);
    stub.state.refuseVanish = true;
    await session.kill('instructor');
    expect(member().calls).toEqual(['vanish', 'leave']);
    expect(session.view().state).toBe('killed');
    expect(types()).toEqual(['consumer.started', 'consumer.killed']);
  });

  it('stopped while its member starts: the member leaves at once and the start fails with a 409 sentence', async () => {
    const stub = stubHost();
    const { session } = setup('consumer', { host: stub });
    stub.state.beforeResolve = () => void session.stop('system');
    await expect(session.start('student-1')).rejects.toMatchObject({ code: 'CONFLICT', message: 'Consumer abc12345 is not running: it is stopped.' });
    expect(stub.members[0].calls).toEqual(['leave']);
    expect(session.view().state).toBe('stopped');
  });

  it('a replacement that started while the consumer was stopped leaves; one started while it was killed vanishes', async () => {
    for (const end of ['stop', 'kill'] as const) {
      const stub = stubHost();
      const { session, member } = setup('consumer', { host: stub });
      await session.start('student-1');
      member().events.joined('m-1', 1);
      stub.state.beforeResolve = () => void session[end]('student-1');
      member().events.crashed('its Java client failed');
      await jest.advanceTimersByTimeAsync(BACKOFF_FIRST_MS);
      expect(stub.members).toHaveLength(2);
      expect(member().calls).toEqual([end === 'stop' ? 'leave' : 'vanish']);
      expect(session.view().state).toBe(end === 'stop' ? 'stopped' : 'killed');
    }
  });

  it('a crash from the host: consumer.crashed, a new member with the same id after a backoff (longer while starting fails), then consumer.recovered', async () => {
    const { session, stub, member, published, ofType, messages } = setup('consumer');
    await session.start('student-1');
    const first = member();
    first.events.joined('m-1', 1);
    first.events.rebalanced({ memberId: 'm-1', memberEpoch: 1, assigned: tp(0), revoked: [], owned: tp(0) });
    first.events.records([rec(0), rec(1), rec(2)]);
    stub.state.failStarts = 1;
    first.events.crashed('the client host JVM exited (signal SIGKILL)');
    expect(session.view()).toMatchObject({ state: 'crashed', assignment: [] });
    expect(ofType('consumer.crashed')).toEqual([expect.objectContaining({ consumerId: 'abc12345', reason: 'the client host JVM exited (signal SIGKILL)' })]);
    expect(ofType('group.rebalanced')[1]).toMatchObject({ revoked: tp(0), owned: [] });

    await jest.advanceTimersByTimeAsync(BACKOFF_FIRST_MS);
    expect(stub.members).toHaveLength(1); // the first try failed
    expect(session.view().state).toBe('crashed');
    await jest.advanceTimersByTimeAsync(2 * BACKOFF_FIRST_MS);
    expect(stub.members).toHaveLength(2);
    const second = member();
    expect(second.spec.consumerId).toBe('abc12345');

    // The dead member's late reports are ignored; the new one's join is the recovery.
    first.events.records([rec(3)]);
    second.events.joined('m-2', 5);
    second.events.rebalanced({ memberId: 'm-2', memberEpoch: 5, assigned: tp(0), revoked: [], owned: tp(0) });
    // It reads again from the last commit (offset 1): what was shown is not shown twice.
    second.events.records([rec(1), rec(2), rec(3)]);
    expect(messages.map((m) => m.offset)).toEqual(['0', '1', '2', '3']);
    expect(session.view()).toMatchObject({ state: 'running', memberId: 'm-2', memberEpoch: 5, id: 'abc12345', received: 4 });
    expect(published.filter((e) => e.type === 'consumer.crashed')).toHaveLength(1);
    expect(published.filter((e) => e.type === 'consumer.recovered')).toHaveLength(1);
  });
});

describe('HostedSession, share groups', () => {
  /** Three manual members of one share group, like Lab G. */
  async function labG() {
    const ledger = new ShareLedger();
    const published: NewEvent[] = [];
    const stub = stubHost();
    const ss = ['aaaa0001', 'bbbb0002', 'cccc0003'].map((id) => setup('share', { ack: 'manual', id, ledger, published, host: stub }));
    for (const [i, s] of ss.entries()) {
      await s.session.start('student-1');
      s.member().events.joined(`m-${i}`, 1);
      s.member().events.rebalanced({ memberId: `m-${i}`, memberEpoch: 1, assigned: tp(0), revoked: [], owned: tp(0) });
    }
    const of = <T extends NewEvent['type']>(t: T) => published.filter((e) => e.type === t) as Array<Extract<NewEvent, { type: T }>>;
    return { ss, published, of, ledger };
  }

  it('shows the delivery count on messages and the ack mode and epoch on the view', async () => {
    const { ss } = await labG();
    const [a] = ss;
    a.member().events.records([rec(0, 1), rec(1, 1)]);
    expect(a.messages.map((m) => [m.offset, m.deliveryCount])).toEqual([['0', 1], ['1', 1]]);
    expect(a.session.view()).toMatchObject({ protocol: 'share', ack: 'manual', memberEpoch: 1, assignment: tp(0) });
  });

  it('release: one share.acknowledged by the caller, and the next delivery is share.redelivered "released" with deliveryCount 2', async () => {
    const { ss, of } = await labG();
    const [a, b] = ss;
    a.member().events.records([rec(4, 1)]);
    const results = await a.session.acknowledge([{ topic: 't', partition: 0, offset: '4', type: 'release' }], 'student-1');
    expect(results).toEqual([{ topic: 't', partition: 0, offsets: ['4'], type: 'release' }]);
    // The host reports the same acknowledgement once more: told once.
    a.member().events.acknowledged([{ topic: 't', partition: 0, offsets: ['4'], type: 'release' }]);
    expect(of('share.acknowledged')).toEqual([expect.objectContaining({ actor: 'student-1', consumerId: 'aaaa0001', groupId: 'g', topic: 't', partition: 0, offsets: ['4'], ackType: 'release' })]);

    b.member().events.records([rec(4, 2)]);
    expect(b.messages.map((m) => [m.offset, m.deliveryCount])).toEqual([['4', 2]]);
    expect(of('share.redelivered')).toEqual([expect.objectContaining({ consumerId: 'bbbb0002', groupId: 'g', topic: 't', partition: 0, offset: '4', deliveryCount: 2, why: 'released' })]);
    expect(of('share.archived')).toEqual([]);
  });

  it('a released record delivered again before Kafka\'s answer is read still meets its reason, and is not archived', async () => {
    const { ss, of } = await labG();
    const [a] = ss;
    a.member().events.records([rec(4, 2)]);
    // The host reads the record's next delivery (to the same member) before the ack's answer.
    a.member().answer = (acks) => {
      a.member().events.records([rec(4, 3)]);
      return acks.map((x) => ({ topic: x.topic, partition: x.partition, offsets: [x.offset], type: x.type }));
    };
    await a.session.acknowledge([{ topic: 't', partition: 0, offset: '4', type: 'release' }], 'student-1');
    expect(of('share.redelivered').slice(-1)).toEqual([expect.objectContaining({ offset: '4', deliveryCount: 3, why: 'released' })]);
    expect(of('share.archived')).toEqual([]);
    expect(of('share.acknowledged')).toHaveLength(1);
    // It holds the third delivery: releasing that one reaches the limit.
    a.member().answer = undefined;
    await a.session.acknowledge([{ topic: 't', partition: 0, offset: '4', type: 'release' }], 'student-1');
    expect(of('share.archived')).toEqual([expect.objectContaining({ offset: '4', why: 'released at the delivery limit (3)' })]);
  });

  it('reject archives the record; releasing at the delivery limit archives it too', async () => {
    const { ss, of } = await labG();
    const [a, b] = ss;
    a.member().events.records([rec(7, 1), rec(8, 3)]);
    await a.session.acknowledge([{ topic: 't', partition: 0, offset: '7', type: 'reject' }], 'student-1');
    await a.session.acknowledge([{ topic: 't', partition: 0, offset: '8', type: 'release' }], 'student-1');
    expect(of('share.archived')).toEqual([
      expect.objectContaining({ actor: 'student-1', groupId: 'g', topic: 't', partition: 0, offset: '7', why: 'rejected' }),
      expect.objectContaining({ groupId: 'g', offset: '8', why: 'released at the delivery limit (3)' }),
    ]);
    // A record acknowledged already is not held any more: a second ack is refused with a sentence.
    await expect(b.session.acknowledge([{ topic: 't', partition: 0, offset: '7', type: 'accept' }], 'student-1')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('does not hold t [0] offset 7'),
    });
  });

  it('a lock that expires: redelivered "lock expired" to another member; at the limit archived', async () => {
    const { ss, of } = await labG();
    const [a, , c] = ss;
    a.member().events.records([rec(2, 1), rec(3, 3)]);
    a.member().events.lockExpired([{ topic: 't', partition: 0, offset: '2' }, { topic: 't', partition: 0, offset: '3' }]);
    expect(of('share.archived')).toEqual([expect.objectContaining({ offset: '3', why: 'lock expired at the delivery limit (3)' })]);
    c.member().events.records([rec(2, 2)]);
    expect(of('share.redelivered')).toEqual([
      // Its third delivery came without the server knowing why (given back before these members ran).
      expect.not.objectContaining({ why: expect.anything() }),
      expect.objectContaining({ consumerId: 'cccc0003', offset: '2', deliveryCount: 2, why: 'lock expired' }),
    ]);
    await expect(a.session.acknowledge([{ topic: 't', partition: 0, offset: '2', type: 'accept' }], 'student-1')).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('a record another member gets before its holder noticed its lock ran out: "lock expired", and the holder holds it no more', async () => {
    const { ss, of } = await labG();
    const [a, b] = ss;
    a.member().events.records([rec(6, 1)]);
    b.member().events.records([rec(6, 2)]);
    expect(of('share.redelivered')).toEqual([expect.objectContaining({ consumerId: 'bbbb0002', offset: '6', why: 'lock expired' })]);
    await expect(a.session.acknowledge([{ topic: 't', partition: 0, offset: '6', type: 'accept' }], 'student-1')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    // The holder's late report changes nothing: b's delivery is not given a stale reason later.
    a.member().events.lockExpired([{ topic: 't', partition: 0, offset: '6' }]);
    await b.session.acknowledge([{ topic: 't', partition: 0, offset: '6', type: 'release' }], 'student-1');
    a.member().events.records([rec(6, 3)]);
    expect(of('share.redelivered')[1]).toMatchObject({ consumerId: 'aaaa0001', offset: '6', deliveryCount: 3, why: 'released' });
    expect(of('share.archived')).toEqual([]);
  });

  it('the records a killed member held come back as "member left"', async () => {
    const { ss, of } = await labG();
    const [a, b] = ss;
    a.member().events.records([rec(9, 1)]);
    await a.session.kill('student-1');
    expect(a.member().calls).toEqual(['vanish']);
    b.member().events.records([rec(9, 2)]);
    expect(of('share.redelivered')).toEqual([expect.objectContaining({ consumerId: 'bbbb0002', offset: '9', why: 'member left' })]);
  });

  it('an acknowledgement Kafka refuses is answered with its error and tells nothing', async () => {
    const { ss, of } = await labG();
    const [a] = ss;
    a.member().events.records([rec(1, 1)]);
    a.member().answer = (acks) => acks.map((x) => ({ topic: x.topic, partition: x.partition, offsets: [x.offset], type: x.type, error: 'the record lock had expired' }));
    const results = await a.session.acknowledge([{ topic: 't', partition: 0, offset: '1', type: 'accept' }], 'student-1');
    expect(results[0].error).toBe('the record lock had expired');
    expect(of('share.acknowledged')).toEqual([]);
  });

  it('an acknowledgement the host does not answer in time is not held again: the host\'s later report tells it once, by the caller', async () => {
    const { ss, of } = await labG();
    const [a] = ss;
    a.member().events.records([rec(2, 1)]);
    a.member().answer = () => {
      throw new LabError('TIMEOUT', 'The acknowledgement of consumer aaaa0001 got no answer within 20 s.');
    };
    await expect(a.session.acknowledge([{ topic: 't', partition: 0, offset: '2', type: 'accept' }], 'student-1')).rejects.toMatchObject({ code: 'TIMEOUT' });
    // Sent, not held: acknowledging it again is refused rather than sent twice.
    await expect(a.session.acknowledge([{ topic: 't', partition: 0, offset: '2', type: 'accept' }], 'student-1')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    a.member().events.acknowledged([{ topic: 't', partition: 0, offsets: ['2'], type: 'accept' }]);
    expect(of('share.acknowledged')).toEqual([expect.objectContaining({ actor: 'student-1', consumerId: 'aaaa0001', offsets: ['2'], ackType: 'accept' })]);
  });

  it('an acknowledgement that fails otherwise (host gone) holds its records again', async () => {
    const { ss, of } = await labG();
    const [a] = ss;
    a.member().events.records([rec(3, 1)]);
    a.member().answer = () => {
      throw new LabError('WRONG_STATE', 'Consumer aaaa0001 is not running: the client host went away.');
    };
    await expect(a.session.acknowledge([{ topic: 't', partition: 0, offset: '3', type: 'accept' }], 'student-1')).rejects.toMatchObject({ code: 'WRONG_STATE' });
    a.member().answer = undefined;
    await expect(a.session.acknowledge([{ topic: 't', partition: 0, offset: '3', type: 'accept' }], 'student-1')).resolves.toHaveLength(1);
    expect(of('share.acknowledged')).toHaveLength(1);
  });

  it('refuses acknowledgements from an auto member (409), a stopped one (409), and passes the host\'s own refusal on', async () => {
    const auto = setup('share', { ack: 'auto' });
    await auto.session.start('student-1');
    auto.member().events.joined('m-1', 1);
    auto.member().events.records([rec(0, 1)]);
    await expect(auto.session.acknowledge([{ topic: 't', partition: 0, offset: '0', type: 'accept' }], 'student-1')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('ack auto'),
    });
    // Implicit acknowledgements are told as the host reports them.
    auto.member().events.acknowledged([{ topic: 't', partition: 0, offsets: ['0'], type: 'accept' }]);
    expect(auto.ofType('share.acknowledged')).toEqual([expect.objectContaining({ actor: 'kafka', offsets: ['0'], ackType: 'accept' })]);

    const { ss } = await labG();
    const [a, b] = ss;
    a.member().events.records([rec(5, 1)]);
    b.member().events.records([rec(6, 1)]);
    b.member().answer = () => {
      throw badInput('The member does not hold t [0] offset 6.');
    };
    await expect(b.session.acknowledge([{ topic: 't', partition: 0, offset: '6', type: 'accept' }], 'student-1')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await a.session.stop('student-1');
    await expect(a.session.acknowledge([{ topic: 't', partition: 0, offset: '5', type: 'accept' }], 'student-1')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('is not running'),
    });
  });
});
