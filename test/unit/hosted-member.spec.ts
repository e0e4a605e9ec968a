import type { HostedMemberEvents, HostedMemberSpec } from '../../src/client-host/client-host.types';
import { RemoteMember } from '../../src/client-host/hosted-member';
import { LineProtocol } from '../../src/client-host/line-protocol';

const spec: HostedMemberSpec = { consumerId: 'c1', protocol: 'share', groupId: 'g', topics: ['t'], clientId: 'klab-c1', fromBeginning: true, ack: 'manual' };
const events: HostedMemberEvents = { joined: () => undefined, rebalanced: () => undefined, records: () => undefined, acknowledged: () => undefined, lockExpired: () => undefined, crashed: () => undefined };

/** A member over a line protocol whose answers the test writes; `forgotten` counts its removals from the host's table. */
function member() {
  const sent: Array<{ id: number; op: string }> = [];
  const p = new LineProtocol((l) => sent.push(JSON.parse(l)), () => undefined);
  const state = { forgotten: 0, protocol: p as LineProtocol | null };
  const m = new RemoteMember(spec, events, () => state.protocol, () => void (state.forgotten += 1), 30_000);
  m.started = true;
  const answer = (body: Record<string, unknown>) => p.feed(JSON.stringify({ id: sent[sent.length - 1].id, ...body }) + '\n');
  return { m, p, sent, state, answer };
}

describe('RemoteMember: the outcome of a vanish or an acknowledgement', () => {
  afterEach(() => jest.useRealTimers());

  it('a vanish the host answers NO_MEMBER ends the member (no leave at shutdown); UNSUPPORTED leaves it running (409)', async () => {
    const a = member();
    const v = a.m.vanish();
    a.answer({ ok: false, error: "No member 'c1' runs in the client host.", code: 'NO_MEMBER' });
    await expect(v).resolves.toBeUndefined();
    expect(a.state.forgotten).toBe(1);
    await a.m.leave(1_000);
    expect(a.sent.map((r) => r.op)).toEqual(['vanish']);

    const b = member();
    const w = b.m.vanish();
    b.answer({ ok: false, error: 'The client host runs without its network cutter.', code: 'UNSUPPORTED' });
    await expect(w).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(b.state.forgotten).toBe(0);
  });

  it('a vanish not answered in time is a TIMEOUT and the member stays (it may still run); a host gone ends it', async () => {
    jest.useFakeTimers();
    const a = member();
    const v = a.m.vanish();
    jest.advanceTimersByTime(10_001);
    await expect(v).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('may still be running') });
    expect(a.state.forgotten).toBe(0);
    const leave = a.m.leave(1_000);
    expect(a.sent.map((r) => r.op)).toEqual(['vanish', 'leave']);
    a.answer({ ok: true });
    await leave;

    const b = member();
    b.state.protocol = null;
    await expect(b.m.vanish()).resolves.toBeUndefined();
    expect(b.state.forgotten).toBe(1);
  });

  it('an acknowledgement not answered in time is a TIMEOUT saying it may still reach Kafka; a host gone is a 409', async () => {
    jest.useFakeTimers();
    const a = member();
    const ack = a.m.acknowledge([{ topic: 't', partition: 0, offset: '4', type: 'accept' }]);
    jest.advanceTimersByTime(20_001);
    await expect(ack).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('may still reach Kafka') });

    const b = member();
    const gone = b.m.acknowledge([{ topic: 't', partition: 0, offset: '4', type: 'accept' }]);
    b.p.close('the client host JVM (pid 5) was killed by SIGKILL');
    await expect(gone).rejects.toMatchObject({ code: 'WRONG_STATE', message: expect.stringContaining('killed by SIGKILL') });
  });
});
