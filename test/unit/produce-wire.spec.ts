import * as net from 'node:net';
import { KafkaConnection, KafkaWireError } from '../../src/kafka/protocol/kafka-connection';
import type { ClusterMetadata } from '../../src/kafka/protocol/metadata';
import { decodeProduceResponse, encodeProduceRequest } from '../../src/kafka/protocol/produce';
import { isUnknownInMetadata, OutMessage, PartitionOutcome, ProducePartitionError, WireProducer } from '../../src/kafka/protocol/producer-pool';
import { decodeRecordBatch, DecodedRecord, encodeRecordBatch } from '../../src/kafka/protocol/record-batch';
import { Reader, Writer } from '../../src/kafka/protocol/wire';
import { fakeBroker as framingBroker } from '../support/fake-broker';
import { freePort } from '../support/free-ports';

interface SeenProduce {
  correlationId: number;
  clientId: string | null;
  version: number;
  acks: number;
  timeoutMs: number;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; records: DecodedRecord[]; crcValid: boolean }> }>;
}

interface PartitionAnswer {
  errorCode: number;
  errorMessage?: string;
}

/**
 * A fake Kafka broker on 127.0.0.1:0 that speaks Produce v8: it decodes each request (record
 * batches included), keeps an offset per partition, and answers what `decide` says (default: ok).
 * `hold` lets a test collect requests before answering them.
 */
async function fakeBroker(opts: {
  decide?: (topic: string, partition: number, req: SeenProduce) => PartitionAnswer;
  onRequest?: (req: SeenProduce, sock: net.Socket, answer: () => void) => void;
} = {}) {
  const seen: SeenProduce[] = [];
  const offsets = new Map<string, bigint>();
  const broker = await framingBroker((frame, sock) => {
    const r = new Reader(frame);
    const apiKey = r.int16();
    const version = r.int16();
    const correlationId = r.int32();
    const clientId = r.nullableString();
    expect(apiKey).toBe(0);
    r.nullableString(); // transactional_id
    const req: SeenProduce = {
      correlationId, clientId, version, acks: r.int16(), timeoutMs: r.int32(),
      topics: r.array((t) => ({
        topic: t.string(),
        partitions: t.array((p) => {
          const partition = p.int32();
          const batch = decodeRecordBatch(p.bytes(p.int32()));
          return { partition, records: batch.records, crcValid: batch.crcValid };
        }),
      })),
    };
    seen.push(req);
    const answer = () => {
      const results = req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          const a = opts.decide?.(t.topic, p.partition, req) ?? { errorCode: 0 };
          const key = `${t.topic}-${p.partition}`;
          const base = offsets.get(key) ?? 0n;
          if (a.errorCode === 0) offsets.set(key, base + BigInt(p.records.length));
          return { partition: p.partition, base: a.errorCode === 0 ? base : -1n, ...a };
        }),
      }));
      if (req.acks === 0) return; // Kafka sends nothing back for acks=0
      const body = new Writer().array(results, (w, t) => {
        w.string(t.topic).array(t.partitions, (pw, p) => {
          pw.int32(p.partition).int16(p.errorCode).int64(p.base).int64(-1n).int64(0n)
            .array([], () => undefined) // record_errors
            .nullableString(p.errorMessage ?? null);
        });
      }).int32(0); // throttle_time_ms
      const payload = Buffer.concat([new Writer().int32(correlationId).toBuffer(), body.toBuffer()]);
      const len = Buffer.alloc(4);
      len.writeInt32BE(payload.length);
      sock.write(Buffer.concat([len, payload]));
    };
    if (opts.onRequest) opts.onRequest(req, sock, answer);
    else answer();
  });
  return {
    port: broker.port,
    seen,
    get connections() {
      return broker.connections;
    },
    close: broker.close,
  };
}

/** A port nothing listens on: one the OS handed out and was given back. */
const deadPort = freePort;

/** Metadata for topic `t` whose partition i is led by leaders[i] (null: no leader); brokers by node id. */
function metadata(brokers: Record<number, number>, leaders: Array<number | null>, topic = 't'): ClusterMetadata {
  return {
    clusterId: 'c',
    controllerId: 0,
    brokers: Object.entries(brokers).map(([id, port]) => ({ nodeId: Number(id), host: '127.0.0.1', port, rack: null })),
    topics: [{
      name: topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', isInternal: false, errorCode: 0,
      partitions: leaders.map((leader, partition) => ({
        partition, errorCode: leader === null ? 5 : 0, leader, leaderEpoch: 0,
        replicas: leader === null ? [9] : [leader], isr: leader === null ? [] : [leader], offlineReplicas: [],
      })),
    }],
  };
}

const msgs = (...values: string[]): OutMessage[] => values.map((value) => ({ key: null, value }));
const okOffset = (o: PartitionOutcome | undefined) => (o?.ok ? o.baseOffset : `failed: ${o && !o.ok ? o.error.message : 'missing'}`);

describe('Produce v8 encoding', () => {
  it('writes a non-flexible request: null transactional id, acks, timeout, topics with one batch per partition', () => {
    const records = encodeRecordBatch([{ key: 'k', value: 'v', timestamp: 1 }]);
    const body = encodeProduceRequest(new Map([['ab', [{ partition: 2, records }]]]), { acks: -1, timeoutMs: 3000 });
    expect(body.subarray(0, 24).toString('hex')).toBe('ffff' + 'ffff' + '00000bb8' + '00000001' + '00026162' + '00000001' + '00000002');
    expect(body.readInt32BE(24)).toBe(records.length);
    expect(body.subarray(28)).toEqual(records);
  });

  it('decodes a v8 response with a record error and the broker\'s message', () => {
    const b = new Writer()
      .array([0], (w) => w.string('t').array([0], (pw) => pw.int32(3).int16(87).int64(-1n).int64(-1n).int64(5n)
        .array([{ i: 0, m: 'Compacted topic cannot accept message without key.' }], (ew, e) => ew.int32(e.i).nullableString(e.m))
        .nullableString('One or more records have been rejected')))
      .int32(0)
      .toBuffer();
    expect(decodeProduceResponse(new Reader(b))).toEqual([{
      topic: 't', partition: 3, errorCode: 87, baseOffset: '-1', logAppendTimeMs: '-1', logStartOffset: '5',
      recordErrors: [{ batchIndex: 0, message: 'Compacted topic cannot accept message without key.' }],
      errorMessage: 'One or more records have been rejected',
    }]);
  });
});

describe('WireProducer against fake brokers', () => {
  const producers: WireProducer[] = [];
  const closers: Array<() => Promise<void>> = [];
  const producer = (o?: ConstructorParameters<typeof WireProducer>[0]) => {
    const p = new WireProducer({ clientId: 'unit', ...o });
    producers.push(p);
    return p;
  };
  afterEach(async () => {
    producers.splice(0).forEach((p) => p.close());
    await Promise.all(closers.splice(0).map((c) => c()));
  });
  const broker = async (o?: Parameters<typeof fakeBroker>[0]) => {
    const b = await fakeBroker(o);
    closers.push(b.close);
    return b;
  };

  it('writes each partition to its leader, one request per broker, over one kept connection', async () => {
    const a = await broker();
    const b = await broker();
    const md = metadata({ 1: a.port, 2: b.port }, [1, 2, 1]);
    const wp = producer();
    const by = new Map<number, OutMessage[]>([
      [0, [{ key: 'user-7', value: 'k1', headers: { source: 'test' }, timestamp: 1_700_000_000_000 }, { key: 'user-7', value: 'k2' }]],
      [1, msgs('one')],
      [2, [{ key: null, value: null }]],
    ]);
    const first = await wp.produce(md, 't', by, { acks: -1, timeoutMs: 3000 });
    expect([...first.keys()]).toEqual([0, 1, 2]); // in the order asked
    expect([...first.values()]).toEqual([{ ok: true, baseOffset: '0' }, { ok: true, baseOffset: '0' }, { ok: true, baseOffset: '0' }]);
    const second = await wp.produce(md, 't', by, { acks: 1, timeoutMs: 3000 });
    expect([...second.values()].map(okOffset)).toEqual(['2', '1', '1']);

    expect(a.seen).toHaveLength(2);
    expect(b.seen).toHaveLength(2);
    expect(a.connections).toBe(1);
    expect(b.connections).toBe(1);
    const req = a.seen[0];
    expect(req).toMatchObject({ clientId: 'unit', version: 8, acks: -1 });
    expect(req.timeoutMs).toBeGreaterThan(1000);
    expect(req.timeoutMs).toBeLessThan(3000); // Kafka gives up before we do, so its answer reaches us
    expect(req.topics).toHaveLength(1);
    const parts = req.topics[0].partitions;
    expect(parts.map((p) => p.partition)).toEqual([0, 2]);
    expect(parts.every((p) => p.crcValid)).toBe(true);
    expect(parts[0].records).toMatchObject([
      { offsetDelta: 0, key: 'user-7', value: 'k1', headers: { source: 'test' }, timestamp: 1_700_000_000_000 },
      { offsetDelta: 1, key: 'user-7', value: 'k2', headers: {} },
    ]);
    expect(parts[1].records).toMatchObject([{ key: null, value: null }]);
    expect(a.seen[1].acks).toBe(1);
  });

  it('a partition the broker refuses fails alone, with its code and the broker\'s words', async () => {
    const a = await broker({ decide: (_t, p) => (p === 1 ? { errorCode: 19, errorMessage: 'The size of the current ISR Set(1) is insufficient to satisfy the min.isr requirement of 2 for partition t-1' } : { errorCode: 0 }) });
    const wp = producer();
    const out = await wp.produce(metadata({ 1: a.port }, [1, 1, 1]), 't', new Map([[0, msgs('a')], [1, msgs('b')], [2, msgs('c')]]), { acks: -1, timeoutMs: 3000 });
    expect(out.get(0)).toEqual({ ok: true, baseOffset: '0' });
    expect(out.get(2)).toEqual({ ok: true, baseOffset: '0' });
    const bad = out.get(1)!;
    expect(bad).toMatchObject({ ok: false, errorCode: 19 });
    const err = (bad as { error: ProducePartitionError }).error;
    expect(err).toBeInstanceOf(ProducePartitionError);
    expect(err).toMatchObject({ code: 19, topic: 't', partition: 1, fromMetadata: false });
    expect(err.brokerMessage).toMatch(/min.isr requirement of 2/);
  });

  it('a partition without a leader fails at once with code 5 and sends nothing', async () => {
    const a = await broker();
    const wp = producer();
    const t0 = Date.now();
    const out = await wp.produce(metadata({ 1: a.port }, [null, 1, 7]), 't', new Map([[0, msgs('x')], [1, msgs('y')], [2, msgs('z')]]), { acks: -1, timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(500);
    expect(out.get(0)).toMatchObject({ ok: false, errorCode: 5, error: { fromMetadata: true } });
    expect(out.get(1)).toEqual({ ok: true, baseOffset: '0' });
    // Leader 7 is not among the live brokers: dead, not yet fenced.
    expect(out.get(2)).toMatchObject({ ok: false, errorCode: 5 });
    expect(a.seen).toHaveLength(1);
    expect(a.seen[0].topics[0].partitions.map((p) => p.partition)).toEqual([1]);
  });

  it('acks=0 resolves without an answer (offsets null), and the connection keeps working after', async () => {
    const a = await broker();
    const wp = producer();
    const md = metadata({ 1: a.port }, [1, 1]);
    const t0 = Date.now();
    const out = await wp.produce(md, 't', new Map([[0, msgs('f1', 'f2')], [1, msgs('f3')]]), { acks: 0, timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect([...out.values()]).toEqual([{ ok: true, baseOffset: null }, { ok: true, baseOffset: null }]);
    const after = await wp.produce(md, 't', new Map([[0, msgs('f4')]]), { acks: 1, timeoutMs: 3000 });
    expect(after.get(0)).toEqual({ ok: true, baseOffset: '2' });
    expect(a.seen.map((r) => r.acks)).toEqual([0, 1]);
    expect(a.connections).toBe(1);
  });

  it('a refused leader fails its partitions at once with kind "refused"; other brokers still write', async () => {
    const a = await broker();
    const dead = await deadPort();
    const wp = producer();
    const t0 = Date.now();
    const out = await wp.produce(metadata({ 1: a.port, 2: dead }, [1, 2, 2]), 't', new Map([[0, msgs('a')], [1, msgs('b')], [2, msgs('c')]]), { acks: -1, timeoutMs: 5000 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(out.get(0)).toEqual({ ok: true, baseOffset: '0' });
    for (const p of [1, 2]) {
      const o = out.get(p)!;
      expect(o.ok).toBe(false);
      expect((o as { error: Error }).error).toBeInstanceOf(KafkaWireError);
      expect((o as { error: KafkaWireError }).error).toMatchObject({ kind: 'refused', broker: `127.0.0.1:${dead}` });
    }
  });

  it('a silent broker times out within the caller\'s timeout; a closed connection fails and the next write reconnects', async () => {
    const silent = await broker({ onRequest: () => undefined });
    const wp = producer();
    const t0 = Date.now();
    const out = await wp.produce(metadata({ 1: silent.port }, [1]), 't', new Map([[0, msgs('a')]]), { acks: -1, timeoutMs: 300 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(out.get(0)).toMatchObject({ ok: false, error: { kind: 'timeout' } });

    let first = true;
    const flaky = await broker({
      onRequest: (_r, sock, answer) => {
        if (first) {
          first = false;
          sock.destroy();
        } else answer();
      },
    });
    const md = metadata({ 1: flaky.port }, [1]);
    expect((await wp.produce(md, 't', new Map([[0, msgs('a')]]), { acks: -1, timeoutMs: 2000 })).get(0)).toMatchObject({ ok: false, error: { kind: 'closed' } });
    expect((await wp.produce(md, 't', new Map([[0, msgs('b')]]), { acks: -1, timeoutMs: 2000 })).get(0)).toEqual({ ok: true, baseOffset: '0' });
    expect(flaky.connections).toBe(2);
  });

  it('pipelines 100 concurrent requests on one socket and matches each answer to its caller', async () => {
    const held: Array<() => void> = [];
    const a = await broker({
      onRequest: (_r, _s, answer) => {
        held.push(answer);
        // Answer only once all 100 are in flight at the same time, newest first.
        if (held.length === 100) held.reverse().forEach((f) => f());
      },
    });
    const wp = producer({ maxInFlight: 100 });
    const md = metadata({ 1: a.port }, [1, 1, 1, 1]);
    const calls = Array.from({ length: 100 }, (_, i) => wp.produce(md, 't', new Map([[i % 4, msgs(`m${i}`, `m${i}b`)]]), { acks: -1, timeoutMs: 5000 }));
    const outs = await Promise.all(calls);
    expect(a.connections).toBe(1);
    expect(a.seen).toHaveLength(100);
    expect(new Set(a.seen.map((r) => r.correlationId)).size).toBe(100);
    // Answered in reverse, each caller still gets the offsets of its own request.
    outs.forEach((out, i) => {
      const seenAt = a.seen.findIndex((r) => r.topics[0].partitions[0].records[0].value === `m${i}`);
      const p = i % 4;
      const laterSame = a.seen.slice(seenAt + 1).filter((r) => r.topics[0].partitions[0].partition === p).length;
      expect(out.get(p)).toEqual({ ok: true, baseOffset: String(laterSame * 2) });
    });
  });

  it('merges what queues up behind a busy connection into one request, offsets handed back in order', async () => {
    const a = await broker();
    const wp = producer({ maxInFlight: 1 });
    const md = metadata({ 1: a.port }, [1, 1, 1]);
    const outs = await Promise.all(
      Array.from({ length: 100 }, (_, i) => wp.produce(md, 't', new Map([[i % 3, msgs(`v${i}`)]]), { acks: -1, timeoutMs: 5000 })),
    );
    expect(a.seen.length).toBeLessThanOrEqual(3); // the first alone, then everything that waited
    expect(a.connections).toBe(1);
    // Per partition, the log order is the call order, and each caller got its own message's offset.
    const log = new Map<number, string[]>();
    for (const r of a.seen) for (const p of r.topics[0].partitions) log.set(p.partition, [...(log.get(p.partition) ?? []), ...p.records.map((x) => x.value!)]);
    outs.forEach((out, i) => {
      const p = i % 3;
      const offset = Number(okOffset(out.get(p)));
      expect(log.get(p)![offset]).toBe(`v${i}`);
    });
    for (const values of log.values()) expect(values).toEqual([...values].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
  });

  it('produceWithRetry follows a moved leader with fresh metadata, after a short backoff', async () => {
    const old = await broker({ decide: () => ({ errorCode: 6 }) });
    const now = await broker();
    const mds = [metadata({ 1: old.port, 2: now.port }, [1, 2]), metadata({ 1: old.port, 2: now.port }, [2, 2])];
    let calls = 0;
    const asked: (number | undefined)[] = [];
    const wp = producer();
    const t0 = Date.now();
    const out = await wp.produceWithRetry(async (notBefore) => (asked.push(notBefore), mds[Math.min(calls++, 1)]), 't', new Map([[0, msgs('a')], [1, msgs('b')]]), { acks: -1, timeoutMs: 2000, deadlineMs: 5000 });
    expect(out.get(0)).toEqual({ ok: true, baseOffset: '0' });
    expect(out.get(1)).toEqual({ ok: true, baseOffset: '0' });
    expect(calls).toBe(2);
    // The first attempt may go by a snapshot; the retry wants metadata asked for after its failure.
    expect(asked[0]).toBeUndefined();
    expect(asked[1]).toBeGreaterThanOrEqual(t0);
    expect(asked[1]).toBeLessThanOrEqual(Date.now() - 95);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    // Only the failed partition was sent again.
    expect(now.seen.map((r) => r.topics[0].partitions.map((p) => p.partition))).toEqual([[1], [0]]);
  });

  it('produceWithRetry stops at the deadline, and does not retry what retrying cannot cure', async () => {
    const stuck = await broker({ decide: () => ({ errorCode: 6 }) });
    const wp = producer();
    let calls = 0;
    const t0 = Date.now();
    const out = await wp.produceWithRetry(async () => (calls++, metadata({ 1: stuck.port }, [1])), 't', new Map([[0, msgs('a')]]), { acks: -1, timeoutMs: 2000, deadlineMs: 800 });
    expect(Date.now() - t0).toBeLessThan(900);
    expect(out.get(0)).toMatchObject({ ok: false, errorCode: 6 });
    expect(calls).toBeGreaterThanOrEqual(3); // 0, +100, +200 (+400 would pass 800)

    const strict = await broker({ decide: () => ({ errorCode: 19 }) });
    calls = 0;
    const t1 = Date.now();
    const out2 = await wp.produceWithRetry(async () => (calls++, metadata({ 1: strict.port }, [1, null])), 't', new Map([[0, msgs('a')], [1, msgs('b')]]), { acks: -1, timeoutMs: 2000, deadlineMs: 5000 });
    expect(Date.now() - t1).toBeLessThan(500);
    expect(calls).toBe(1);
    expect(out2.get(0)).toMatchObject({ ok: false, errorCode: 19 });
    expect(out2.get(1)).toMatchObject({ ok: false, errorCode: 5 });
  });

  it('produceWithRetry retries a refused leader until fresh metadata names a live one', async () => {
    const dead = await deadPort();
    const live = await broker();
    let calls = 0;
    const wp = producer();
    const out = await wp.produceWithRetry(
      async () => (++calls < 3 ? metadata({ 1: dead }, [1]) : metadata({ 2: live.port }, [2])),
      't', new Map([[0, msgs('a')]]), { acks: -1, timeoutMs: 2000, deadlineMs: 5000 },
    );
    expect(out.get(0)).toEqual({ ok: true, baseOffset: '0' });
    expect(calls).toBe(3);
  });

  it('produceWithRetry asks again when its metadata is older than the topic (a partition it does not know yet)', async () => {
    const b = await broker();
    let calls = 0;
    const wp = producer();
    // A topic created again a moment ago with more partitions: the first metadata still shows one.
    const out = await wp.produceWithRetry(
      async () => (++calls < 2 ? metadata({ 1: b.port }, [1]) : metadata({ 1: b.port }, [1, 1, 1])),
      't', new Map([[2, msgs('a')]]), { acks: -1, timeoutMs: 2000, deadlineMs: 5000 },
    );
    expect(out.get(2)).toEqual({ ok: true, baseOffset: '0' });
    expect(calls).toBe(2);
  });

  it('produceWithRetry gives up on a topic that two metadata reads newer than the call do not know (deleted a moment ago)', async () => {
    // The snapshot still shows the topic; its old leader answers UNKNOWN_TOPIC_OR_PARTITION; fresh metadata lacks it.
    const b = await broker({ decide: () => ({ errorCode: 3 }) });
    let calls = 0;
    const asked: (number | undefined)[] = [];
    const wp = producer();
    const t0 = Date.now();
    const out = await wp.produceWithRetry(
      async (notBefore) => (asked.push(notBefore), ++calls < 2 ? metadata({ 1: b.port }, [1, 1]) : metadata({ 1: b.port }, [1], 'other')),
      't', new Map([[0, msgs('a')], [1, msgs('b')]]), { acks: -1, timeoutMs: 2000, deadlineMs: 10_000 },
    );
    expect(Date.now() - t0).toBeLessThan(2000); // not the 10 s deadline
    expect(calls).toBe(3); // the snapshot, then two fresh reads
    expect(asked.slice(1).every((t) => t !== undefined && t >= t0)).toBe(true);
    for (const p of [0, 1]) {
      const o = out.get(p)!;
      expect(o).toMatchObject({ ok: false, errorCode: 3 });
      expect(isUnknownInMetadata(o)).toBe(true);
    }
    // A broker's own UNKNOWN answer is not "unknown in metadata": it is still retried.
    expect(isUnknownInMetadata({ ok: false, errorCode: 3, error: new ProducePartitionError(3, 't', 0, null, false, 'x') })).toBe(false);
  });

  it('produceWithRetry reports a metadata failure for every partition', async () => {
    const wp = producer();
    const out = await wp.produceWithRetry(async () => { throw new Error('no broker answered'); }, 't', new Map([[0, msgs('a')], [3, msgs('b')]]), { acks: -1, timeoutMs: 1000, deadlineMs: 1000 });
    expect([...out.values()].map((o) => !o.ok && o.error.message)).toEqual(['no broker answered', 'no broker answered']);
  });

  it('close() fails writes in flight and later writes', async () => {
    const silent = await broker({ onRequest: () => undefined });
    const wp = producer();
    const md = metadata({ 1: silent.port }, [1]);
    const pending = wp.produce(md, 't', new Map([[0, msgs('a')]]), { acks: -1, timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    wp.close();
    expect((await pending).get(0)).toMatchObject({ ok: false, error: { kind: 'closed' } });
    expect((await wp.produce(md, 't', new Map([[0, msgs('b')]]), { acks: -1, timeoutMs: 5000 })).get(0)).toMatchObject({ ok: false, error: { kind: 'closed' } });
  });
});

describe('KafkaConnection with many requests in flight', () => {
  it('keeps 100 requests in flight on one socket and resolves each with its own answer', async () => {
    const held: Array<[number, net.Socket]> = [];
    const server = net.createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          const size = buf.readInt32BE(0);
          held.push([buf.readInt32BE(8), sock]); // correlation id after api key + version
          buf = buf.subarray(4 + size);
          if (held.length === 100) {
            const all = held.reverse().map(([id]) => Buffer.concat([Buffer.from([0, 0, 0, 8]), new Writer().int32(id).int32(id * 10).toBuffer()]));
            sock.write(Buffer.concat(all));
          }
        }
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const conn = await KafkaConnection.open({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, { timeoutMs: 2000 });
    try {
      const answers = await Promise.all(Array.from({ length: 100 }, () => conn.send(0, 8, Buffer.alloc(0), { flexible: false, timeoutMs: 5000 }).then((r) => r.int32())));
      expect(answers).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) * 10));
      expect(conn.inFlight).toBe(0);
    } finally {
      conn.close();
      await new Promise<void>((res) => server.close(() => res()));
    }
  });
});
