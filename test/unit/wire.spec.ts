import * as net from 'node:net';
import { fakeBroker } from '../support/fake-broker';
import { freePort } from '../support/free-ports';
import { Reader, Writer, WireFormatError, uuidBytes, uuidToString, ZERO_UUID } from '../../src/kafka/protocol/wire';
import { decodeMetadataResponse, encodeMetadataRequest } from '../../src/kafka/protocol/metadata';
import { decodeListOffsetsResponse, encodeListOffsetsRequest, encodeListOffsetsTopics } from '../../src/kafka/protocol/list-offsets';
import { decodeElectLeadersResponse, encodeElectLeadersRequest } from '../../src/kafka/protocol/elect-leaders';
import {
  KafkaConnection,
  KafkaWireError,
  NoBrokerAnsweredError,
  firstAnswering,
  request,
} from '../../src/kafka/protocol/kafka-connection';
import {
  ELECT_LEADERS_V1_HEX,
  LIST_OFFSETS_V5_LATEST_HEX,
  METADATA_V12_BROKER0_DEAD_HEX,
} from './fixtures/kafka-3.9.2-captures';

const hex = (b: Buffer) => b.toString('hex');
const reader = (w: Writer) => new Reader(w.toBuffer());

describe('Writer/Reader round trips', () => {
  it('fixed-width integers keep sign and range', () => {
    const ints8 = [-128, -1, 0, 1, 127];
    const ints16 = [-32768, -1, 0, 1, 32767];
    const ints32 = [-2147483648, -1, 0, 1, 2147483647];
    const ints64 = [-(2n ** 63n), -2n, -1n, 0n, 1n, 2n ** 53n + 1n, 2n ** 63n - 1n];
    const w = new Writer(1); // grows from one byte
    ints8.forEach((v) => w.int8(v));
    ints16.forEach((v) => w.int16(v));
    ints32.forEach((v) => w.int32(v));
    ints64.forEach((v) => w.int64(v));
    w.uint32(4294967295).bool(true).bool(false);
    const r = reader(w);
    expect(ints8.map(() => r.int8())).toEqual(ints8);
    expect(ints16.map(() => r.int16())).toEqual(ints16);
    expect(ints32.map(() => r.int32())).toEqual(ints32);
    expect(ints64.map(() => r.int64())).toEqual(ints64);
    expect([r.uint32(), r.bool(), r.bool()]).toEqual([4294967295, true, false]);
    expect(r.remaining).toBe(0);
  });

  it('int64 accepts decimal strings and numbers, big-endian on the wire', () => {
    const b = new Writer().int64('9007199254740993').int64(-2).toBuffer();
    expect(hex(b)).toBe('0020000000000001' + 'fffffffffffffffe');
    const r = new Reader(b);
    expect(r.int64().toString()).toBe('9007199254740993');
    expect(r.int64()).toBe(-2n);
  });

  it('unsigned varints match the Kafka encoding and round-trip to 2^32-1', () => {
    const cases: Array<[number, string]> = [
      [0, '00'], [1, '01'], [127, '7f'], [128, '8001'], [300, 'ac02'], [16383, 'ff7f'], [16384, '808001'],
      [2 ** 31, '8080808008'], [2 ** 32 - 1, 'ffffffff0f'],
    ];
    for (const [v, h] of cases) {
      const b = new Writer().unsignedVarint(v).toBuffer();
      expect(hex(b)).toBe(h);
      expect(new Reader(b).unsignedVarint()).toBe(v);
    }
    expect(() => new Writer().unsignedVarint(-1)).toThrow(RangeError);
    expect(() => new Reader(Buffer.from('ffffffffff01', 'hex')).unsignedVarint()).toThrow(WireFormatError);
  });

  it('strings: classic, nullable, compact and compact nullable, with UTF-8', () => {
    const w = new Writer()
      .string('héllo ✓')
      .nullableString(null)
      .nullableString('')
      .compactString('topic-ü')
      .compactNullableString(null)
      .compactNullableString('');
    const r = reader(w);
    expect(r.string()).toBe('héllo ✓');
    expect(r.nullableString()).toBeNull();
    expect(r.nullableString()).toBe('');
    expect(r.compactString()).toBe('topic-ü');
    expect(r.compactNullableString()).toBeNull();
    expect(r.compactNullableString()).toBe('');
    expect(hex(new Writer().compactString('ab').toBuffer())).toBe('036162');
    expect(hex(new Writer().nullableString(null).toBuffer())).toBe('ffff');
  });

  it('arrays: classic, nullable, compact, compact nullable', () => {
    const w = new Writer()
      .array([1, 2, 3], (x, v) => x.int32(v))
      .nullableArray(null, (x, v: number) => x.int32(v))
      .compactArray(['a', 'b'], (x, v) => x.compactString(v))
      .compactNullableArray(null, (x, v: number) => x.int8(v))
      .compactArray([], (x, v: number) => x.int8(v));
    const r = reader(w);
    expect(r.array((x) => x.int32())).toEqual([1, 2, 3]);
    expect(r.nullableArray((x) => x.int32())).toBeNull();
    expect(r.compactArray((x) => x.compactString())).toEqual(['a', 'b']);
    expect(r.compactNullableArray((x) => x.int8())).toBeNull();
    expect(r.compactArray((x) => x.int8())).toEqual([]);
  });

  it('UUIDs print like Kafka (base64url, no padding) and parse back', () => {
    const bytes = Buffer.from('6486 9dca 8db8 43ac 807d f7e2 e3d1 b044'.replace(/ /g, ''), 'hex');
    expect(uuidToString(bytes)).toBe('ZIadyo24Q6yAfffi49GwRA'); // rf1's id as kafka-topics printed it
    expect(uuidBytes('ZIadyo24Q6yAfffi49GwRA')).toEqual(bytes);
    expect(uuidBytes('64869dca-8db8-43ac-807d-f7e2e3d1b044')).toEqual(bytes);
    expect(new Reader(new Writer().uuid('QBqRni-IT4iTkr2OTuTeiQ').toBuffer()).uuid()).toBe('QBqRni-IT4iTkr2OTuTeiQ');
    expect(ZERO_UUID).toBe('AAAAAAAAAAAAAAAAAAAAAA');
    expect(new Reader(new Writer().uuid(null).toBuffer()).uuid()).toBe(ZERO_UUID);
    expect(() => uuidBytes('not-a-topic-id')).toThrow(/not a Kafka topic id/);
  });

  it('skips tagged fields it does not know, whatever their size', () => {
    const w = new Writer()
      .unsignedVarint(2) // two tagged fields
      .unsignedVarint(0).unsignedVarint(3).raw(Buffer.from([1, 2, 3]))
      .unsignedVarint(7).unsignedVarint(200).raw(Buffer.alloc(200, 9))
      .int32(42);
    const r = reader(w);
    r.skipTaggedFields();
    expect(r.int32()).toBe(42);
  });

  it('a truncated response is a clear WireFormatError, not garbage', () => {
    expect(() => new Reader(Buffer.from('0001', 'hex')).int32()).toThrow(/ends early: needed 4 byte\(s\) for int32/);
    expect(() => new Reader(Buffer.from('05', 'hex')).compactString()).toThrow(WireFormatError);
    // An array count bigger than the bytes left is corrupt, not an allocation.
    expect(() => new Reader(Buffer.from('7fffffff', 'hex')).array((x) => x.int8())).toThrow(/cannot fit/);
  });
});

describe('Metadata v12', () => {
  it('encodes the request like the Java client (null topic id, compact strings, no auto-create)', () => {
    expect(hex(encodeMetadataRequest(['rf1']))).toBe('02' + '00'.repeat(16) + '04726631' + '00' + '00' + '00' + '00');
    // All topics: a null compact array.
    expect(hex(encodeMetadataRequest())).toBe('00000000');
  });

  it('decodes a real response with leaderless partitions, offline replicas and an unknown topic', () => {
    const md = decodeMetadataResponse(new Reader(Buffer.from(METADATA_V12_BROKER0_DEAD_HEX, 'hex')));
    expect(md).toEqual({
      clusterId: '8Iugo8AvQSmdT8RbiPlOtA',
      controllerId: 1,
      brokers: [{ nodeId: 1, host: '127.0.0.1', port: 31001, rack: null }],
      topics: [
        {
          name: 'rf1',
          topicId: 'ZIadyo24Q6yAfffi49GwRA',
          isInternal: false,
          errorCode: 0,
          partitions: [
            { partition: 0, errorCode: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1], offlineReplicas: [] },
            { partition: 1, errorCode: 5, leader: null, leaderEpoch: 1, replicas: [0], isr: [0], offlineReplicas: [0] },
            { partition: 2, errorCode: 5, leader: null, leaderEpoch: 1, replicas: [0], isr: [0], offlineReplicas: [0] },
            { partition: 3, errorCode: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1], offlineReplicas: [] },
          ],
        },
        {
          name: 'rf2',
          topicId: 'QBqRni-IT4iTkr2OTuTeiQ',
          isInternal: false,
          errorCode: 0,
          partitions: [
            { partition: 0, errorCode: 0, leader: 1, leaderEpoch: 0, replicas: [1, 0], isr: [1], offlineReplicas: [0] },
            { partition: 1, errorCode: 0, leader: 1, leaderEpoch: 1, replicas: [0, 1], isr: [1], offlineReplicas: [0] },
            { partition: 2, errorCode: 0, leader: 1, leaderEpoch: 0, replicas: [1, 0], isr: [1], offlineReplicas: [0] },
          ],
        },
        { name: 'nope', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', isInternal: false, errorCode: 3, partitions: [] },
      ],
    });
  });

  it('a truncated real response fails with a WireFormatError', () => {
    const cut = Buffer.from(METADATA_V12_BROKER0_DEAD_HEX, 'hex').subarray(0, 120);
    expect(() => decodeMetadataResponse(new Reader(cut))).toThrow(WireFormatError);
  });
});

describe('ListOffsets v5 and ElectLeaders v1', () => {
  it('encodes ListOffsets with replica -1, read-uncommitted, no leader-epoch fencing', () => {
    expect(hex(encodeListOffsetsRequest('rf2', [0], -2n))).toBe(
      'ffffffff' + '00' + '00000001' + '0003726632' + '00000001' + '00000000' + 'ffffffff' + 'fffffffffffffffe',
    );
  });

  it('encodes several topics in one ListOffsets request, each with its partitions', () => {
    expect(hex(encodeListOffsetsTopics(new Map([['a', [0, 2]], ['rf2', [1]]]), -1n))).toBe(
      'ffffffff' + '00' + '00000002' +
        '000161' + '00000002' + '00000000' + 'ffffffff' + 'ffffffffffffffff' + '00000002' + 'ffffffff' + 'ffffffffffffffff' +
        '0003726632' + '00000001' + '00000001' + 'ffffffff' + 'ffffffffffffffff',
    );
    // One topic is the same request as before.
    expect(encodeListOffsetsTopics(new Map([['rf2', [0]]]), -2n)).toEqual(encodeListOffsetsRequest('rf2', [0], -2n));
  });

  it('decodes a real ListOffsets response into decimal-string offsets', () => {
    expect(decodeListOffsetsResponse(new Reader(Buffer.from(LIST_OFFSETS_V5_LATEST_HEX, 'hex')))).toEqual([
      { topic: 'rf2', partition: 0, errorCode: 0, offset: '5' },
      { topic: 'rf2', partition: 2, errorCode: 0, offset: '7' },
    ]);
  });

  it('encodes a PREFERRED election for one topic', () => {
    expect(hex(encodeElectLeadersRequest('rf2', [1], 3000))).toBe('00' + '00000001' + '0003726632' + '00000001' + '00000001' + '00000bb8');
  });

  it('decodes a real ElectLeaders response; ELECTION_NOT_NEEDED counts as ok', () => {
    expect(decodeElectLeadersResponse(new Reader(Buffer.from(ELECT_LEADERS_V1_HEX, 'hex')))).toEqual({
      errorCode: 0,
      results: [
        { topic: 'rf2', partition: 0, errorCode: 84, errorMessage: 'Leader election not needed for topic partition.', ok: true },
        { topic: 'rf2', partition: 5, errorCode: 3, errorMessage: 'No such partition as rf2-5', ok: false },
      ],
    });
  });
});

/** A port nothing listens on: one the OS handed out and was given back. */
const deadPort = freePort;

const frame = (correlationId: number, body: Buffer, tagged = false) => {
  const head = new Writer().int32(correlationId);
  if (tagged) head.emptyTaggedFields();
  const payload = Buffer.concat([head.toBuffer(), body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
};

describe('KafkaConnection', () => {
  it('sends header v2 for flexible requests and matches answers by correlation id, even out of order and split', async () => {
    const seen: Array<{ apiKey: number; version: number; corr: number; clientId: string | null }> = [];
    const held: Array<[number, net.Socket]> = [];
    const broker = await fakeBroker((f, sock) => {
      const r = new Reader(f);
      const req = { apiKey: r.int16(), version: r.int16(), corr: r.int32(), clientId: r.nullableString() };
      r.skipTaggedFields();
      seen.push(req);
      held.push([req.corr, sock]);
      if (held.length === 2) {
        // Answer the second first, and dribble the bytes one by one.
        const bytes = Buffer.concat([frame(held[1][0], Buffer.from('bbbb', 'hex'), true), frame(held[0][0], Buffer.from('aaaa', 'hex'), true)]);
        for (const b of bytes) sock.write(Buffer.from([b]));
      }
    });
    const conn = await KafkaConnection.open({ host: '127.0.0.1', port: broker.port }, { timeoutMs: 2000, clientId: 'unit' });
    try {
      const [a, b] = await Promise.all([
        conn.send(3, 12, Buffer.alloc(0), { flexible: true, timeoutMs: 2000 }),
        conn.send(3, 12, Buffer.alloc(0), { flexible: true, timeoutMs: 2000 }),
      ]);
      expect([a.int16(), b.int16()]).toEqual([-21846 /* 0xaaaa */, -17477 /* 0xbbbb */]);
      expect(seen).toEqual([
        { apiKey: 3, version: 12, corr: 1, clientId: 'unit' },
        { apiKey: 3, version: 12, corr: 2, clientId: 'unit' },
      ]);
    } finally {
      conn.close();
      await broker.close();
    }
  });

  it('a broker that accepts but never answers times out with a sentence naming it', async () => {
    const broker = await fakeBroker(() => undefined);
    const t0 = Date.now();
    const p = request({ host: '127.0.0.1', port: broker.port }, 3, 12, Buffer.alloc(0), { flexible: true, timeoutMs: 300 }, (r) => r.int32());
    await expect(p).rejects.toThrow(`broker 127.0.0.1:${broker.port} did not answer Metadata v12 within`);
    await expect(p).rejects.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(2000);
    await broker.close();
  });

  it('connection refused fails at once', async () => {
    const port = await deadPort();
    const t0 = Date.now();
    const p = KafkaConnection.open({ host: '127.0.0.1', port }, { timeoutMs: 5000 });
    await expect(p).rejects.toMatchObject({ kind: 'refused', message: `broker 127.0.0.1:${port} refused the connection (it is not running)` });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a broker that closes mid-request rejects the waiting request', async () => {
    const broker = await fakeBroker((_f, sock) => sock.destroy());
    const p = request({ host: '127.0.0.1', port: broker.port }, 2, 5, Buffer.alloc(0), { flexible: false, timeoutMs: 2000 }, (r) => r.int32());
    await expect(p).rejects.toBeInstanceOf(KafkaWireError);
    await expect(p).rejects.toMatchObject({ kind: 'closed' });
    await broker.close();
  });

  it('a response that does not match its schema is a protocol error naming the API', async () => {
    const broker = await fakeBroker((f, sock) => sock.write(frame(f.readInt32BE(4), Buffer.from('01', 'hex'))));
    const p = request({ host: '127.0.0.1', port: broker.port }, 2, 5, Buffer.alloc(0), { flexible: false, timeoutMs: 2000 }, (r) => r.int32());
    await expect(p).rejects.toMatchObject({ kind: 'protocol' });
    await expect(p).rejects.toThrow(/ListOffsets v5 response .* could not be read/);
    await broker.close();
  });
});

describe('firstAnswering', () => {
  it('skips a dead broker at once and a silent one after the stagger', async () => {
    const dead = await deadPort();
    const silent = await fakeBroker(() => undefined);
    const good = await fakeBroker((f, sock) => {
      sock.write(frame(f.readInt32BE(4), new Writer().int32(7).toBuffer()));
    });
    const ask = (port: number, timeoutMs: number, signal: AbortSignal) =>
      request({ host: '127.0.0.1', port }, 2, 5, Buffer.alloc(0), { flexible: false, timeoutMs, signal }, (r) => r.int32());
    const t0 = Date.now();
    const v = await firstAnswering(
      [{ host: '127.0.0.1', port: dead }, { host: '127.0.0.1', port: silent.port }, { host: '127.0.0.1', port: good.port }],
      (b, ms, signal) => ask(b.port, ms, signal),
      { timeoutMs: 5000, staggerMs: 200 },
    );
    expect(v).toBe(7);
    // dead: immediate; silent: 200 ms of patience; then the good one.
    expect(Date.now() - t0).toBeLessThan(1500);
    await silent.close();
    await good.close();
  });

  it('rejects with every broker\'s reason when none answers', async () => {
    const a = await deadPort();
    const b = await deadPort();
    const p = firstAnswering(
      [{ host: '127.0.0.1', port: a }, { host: '127.0.0.1', port: b }],
      (br, ms) => KafkaConnection.open(br, { timeoutMs: ms }),
      { timeoutMs: 2000 },
    );
    await expect(p).rejects.toBeInstanceOf(NoBrokerAnsweredError);
    await expect(p).rejects.toMatchObject({ errors: [expect.objectContaining({ kind: 'refused' }), expect.objectContaining({ kind: 'refused' })] });
  });
});
