import * as net from 'node:net';
import { KafkaCodeError } from '../../src/kafka/kafka-error-codes';
import { OffsetCommitter } from '../../src/kafka/protocol/offset-commit';
import { Reader, Writer } from '../../src/kafka/protocol/wire';
import { fakeBroker } from '../support/fake-broker';

interface Seen {
  apiKey: number;
  version: number;
  groupId: string;
  generation?: number;
  memberId?: string;
  offsets?: Array<{ topic: string; partition: number; offset: string; epoch: number }>;
}

function respond(sock: net.Socket, correlationId: number, body: Buffer) {
  const head = new Writer(8).int32(body.length + 4).int32(correlationId).toBuffer();
  sock.write(Buffer.concat([head, body]));
}

/**
 * A fake broker that answers FindCoordinator v2 with `coordinator()` and OffsetCommit v7 with
 * `commitCode()` for every partition, recording what it was asked.
 */
async function broker(opts: { coordinator: () => { code: number; port: number }; commitCode?: () => number }) {
  const seen: Seen[] = [];
  const b = await fakeBroker((frame, sock) => {
    const r = new Reader(frame);
    const apiKey = r.int16();
    const version = r.int16();
    const correlationId = r.int32();
    r.nullableString(); // client id
    if (apiKey === 10) {
      const groupId = r.string();
      expect(r.int8()).toBe(0);
      seen.push({ apiKey, version, groupId });
      const c = opts.coordinator();
      respond(sock, correlationId, new Writer(64).int32(0).int16(c.code).nullableString(null).int32(1).string('127.0.0.1').int32(c.port).toBuffer());
      return;
    }
    expect(apiKey).toBe(8);
    const groupId = r.string();
    const generation = r.int32();
    const memberId = r.string();
    expect(r.nullableString()).toBeNull();
    const offsets = r.array((t) => {
      const topic = t.string();
      return t.array((p) => ({ topic, partition: p.int32(), offset: p.int64().toString(), epoch: p.int32(), meta: p.nullableString() }));
    }).flat().map(({ meta: _meta, ...o }) => o);
    seen.push({ apiKey, version, groupId, generation, memberId, offsets });
    const code = opts.commitCode?.() ?? 0;
    const w = new Writer(64).int32(0);
    const topics = [...new Set(offsets.map((o) => o.topic))];
    w.array(topics, (tw, t) => tw.string(t).array(offsets.filter((o) => o.topic === t), (pw, o) => pw.int32(o.partition).int16(code)));
    respond(sock, correlationId, w.toBuffer());
  });
  return Object.assign(b, { seen });
}

describe('OffsetCommitter', () => {
  const who = { groupId: 'g', memberId: 'm-1', generation: 5 };
  const addr = (port: number) => [{ host: '127.0.0.1', port }];

  it('finds the coordinator once, then commits over one kept connection with the member and generation', async () => {
    let port = 0;
    const b = await broker({ coordinator: () => ({ code: 0, port }) });
    port = b.port;
    const c = new OffsetCommitter();
    try {
      const codes = await c.commit(addr(b.port), who, [{ topic: 't', partition: 0, offset: '42' }, { topic: 't', partition: 2, offset: '7' }, { topic: 'u', partition: 1, offset: '1' }], 2000);
      expect([...codes]).toEqual([['t:0', 0], ['t:2', 0], ['u:1', 0]]);
      await c.commit(addr(b.port), { ...who, generation: 6 }, [{ topic: 't', partition: 0, offset: '43' }], 2000);
      expect(b.seen.map((s) => [s.apiKey, s.version])).toEqual([[10, 2], [8, 7], [8, 7]]);
      expect(b.seen[1]).toMatchObject({ groupId: 'g', generation: 5, memberId: 'm-1', offsets: [
        { topic: 't', partition: 0, offset: '42', epoch: -1 }, { topic: 't', partition: 2, offset: '7', epoch: -1 }, { topic: 'u', partition: 1, offset: '1', epoch: -1 },
      ] });
      expect(b.seen[2]).toMatchObject({ generation: 6, offsets: [{ topic: 't', partition: 0, offset: '43' }] });
      // One short-lived connection for FindCoordinator, one kept for the commits.
      expect(b.connections).toBe(2);
    } finally {
      c.close();
      await b.close();
    }
  });

  it('hands back refusals per partition, and asks for the coordinator again after NOT_COORDINATOR', async () => {
    let port = 0;
    let code = 16;
    const b = await broker({ coordinator: () => ({ code: 0, port }), commitCode: () => code });
    port = b.port;
    const c = new OffsetCommitter();
    try {
      expect((await c.commit(addr(b.port), who, [{ topic: 't', partition: 0, offset: '1' }], 2000)).get('t:0')).toBe(16);
      code = 22; // ILLEGAL_GENERATION: the member's generation is over; the coordinator is still right
      expect((await c.commit(addr(b.port), who, [{ topic: 't', partition: 0, offset: '1' }], 2000)).get('t:0')).toBe(22);
      expect(await c.commit(addr(b.port), who, [{ topic: 't', partition: 0, offset: '1' }], 2000)).toBeInstanceOf(Map);
      expect(b.seen.map((s) => s.apiKey)).toEqual([10, 8, 10, 8, 8]);
    } finally {
      c.close();
      await b.close();
    }
  });

  it('rejects with the Kafka error when no coordinator is available, and when the coordinator is silent', async () => {
    const b = await broker({ coordinator: () => ({ code: 15, port: 1 }) });
    const silent = await fakeBroker(() => undefined);
    const c = new OffsetCommitter();
    try {
      await expect(c.commit(addr(b.port), who, [{ topic: 't', partition: 0, offset: '1' }], 2000)).rejects.toBeInstanceOf(KafkaCodeError);
      const s = await broker({ coordinator: () => ({ code: 0, port: silent.port }) });
      const t0 = Date.now();
      await expect(c.commit(addr(s.port), who, [{ topic: 't', partition: 0, offset: '1' }], 300)).rejects.toMatchObject({ kind: 'timeout' });
      expect(Date.now() - t0).toBeLessThan(2000);
      await s.close();
    } finally {
      c.close();
      await b.close();
      await silent.close();
    }
  });
});
