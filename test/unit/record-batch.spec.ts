import { crc32c, decodeRecordBatch, encodeRecordBatch, OutMessage, RECORD_BATCH_OVERHEAD } from '../../src/kafka/protocol/record-batch';

// kafkajs 2.2.4's own RecordBatch v2 encoder: an independent implementation to compare bytes with.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { RecordBatch: KafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const Long = require('kafkajs/src/utils/long');

describe('crc32c (Castagnoli)', () => {
  it('matches the published check value and the RFC 3720 (iSCSI) vectors', () => {
    expect(crc32c('123456789')).toBe(0xe3069283);
    expect(crc32c('')).toBe(0);
    expect(crc32c(Buffer.alloc(32, 0x00))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
  });

  it('checksums a slice without copying it', () => {
    const b = Buffer.concat([Buffer.from('xx'), Buffer.from('123456789'), Buffer.from('yy')]);
    expect(crc32c(b, 2, 11)).toBe(0xe3069283);
  });
});

const T0 = 1_700_000_000_000;

async function kafkajsBatch(messages: OutMessage[], now: number): Promise<Buffer> {
  const first = messages[0].timestamp ?? now;
  const stamps = messages.map((m) => m.timestamp ?? now);
  const records = messages.map((m, i) =>
    KafkajsRecord({
      offsetDelta: i,
      timestampDelta: stamps[i] - first,
      key: m.key === null ? null : Buffer.from(m.key),
      value: m.value === null ? null : Buffer.from(m.value),
      headers: m.headers ?? {},
    }),
  );
  const enc = await KafkajsRecordBatch({
    records,
    firstTimestamp: first,
    maxTimestamp: Math.max(...stamps),
    lastOffsetDelta: messages.length - 1,
    partitionLeaderEpoch: -1,
    producerId: Long.fromValue(-1),
    producerEpoch: -1,
    firstSequence: -1,
  });
  return enc.buffer as Buffer;
}

describe('RecordBatch v2', () => {
  const messages: OutMessage[] = [
    { key: 'user-7', value: 'k1', timestamp: T0 },
    { key: 'user-7', value: 'k2', headers: { source: 'test', 'ü-name': 'wert ✓' }, timestamp: T0 + 5 },
    { key: null, value: 'no key', timestamp: T0 - 3 }, // earlier than the first: a negative delta
    { key: 'tombstone', value: null, timestamp: T0 + 2 ** 33 }, // a delta past 2^32
    { key: '', value: '' },
  ];

  it('is byte for byte what kafkajs writes for the same messages', async () => {
    const now = T0 + 1000;
    const ours = encodeRecordBatch(messages, now);
    expect(ours.toString('hex')).toBe((await kafkajsBatch(messages, now)).toString('hex'));
    const single: OutMessage[] = [{ key: null, value: 'x'.repeat(300), timestamp: T0 }];
    expect(encodeRecordBatch(single).toString('hex')).toBe((await kafkajsBatch(single, T0)).toString('hex'));
  });

  it('decodes back to every field it was given', () => {
    const now = T0 + 1000;
    const b = encodeRecordBatch(messages, now);
    const d = decodeRecordBatch(b);
    expect(d).toMatchObject({
      baseOffset: 0n,
      partitionLeaderEpoch: -1,
      magic: 2,
      crcValid: true,
      attributes: 0,
      lastOffsetDelta: 4,
      baseTimestamp: T0,
      maxTimestamp: T0 + 2 ** 33,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      size: b.length,
    });
    expect(d.records).toEqual([
      { offsetDelta: 0, timestamp: T0, key: 'user-7', value: 'k1', headers: {} },
      { offsetDelta: 1, timestamp: T0 + 5, key: 'user-7', value: 'k2', headers: { source: 'test', 'ü-name': 'wert ✓' } },
      { offsetDelta: 2, timestamp: T0 - 3, key: null, value: 'no key', headers: {} },
      { offsetDelta: 3, timestamp: T0 + 2 ** 33, key: 'tombstone', value: null, headers: {} },
      { offsetDelta: 4, timestamp: now, key: '', value: '', headers: {} },
    ]);
    // batchLength counts everything after itself; the CRC covers attributes..end.
    expect(b.readInt32BE(8)).toBe(b.length - 12);
    expect(b.readUInt32BE(17)).toBe(crc32c(b.subarray(21)));
  });

  it('lays out the fixed header as the protocol says, with baseTimestamp the first message\'s', () => {
    const b = encodeRecordBatch([{ key: 'k', value: 'v', timestamp: T0 }]);
    // baseOffset 0 | length | leader epoch -1 | magic 2 | crc | attributes 0 | lastOffsetDelta 0
    expect(b.subarray(0, 8).toString('hex')).toBe('0000000000000000');
    expect(b.subarray(12, 17).toString('hex')).toBe('ffffffff02');
    expect(b.subarray(21, 27).toString('hex')).toBe('000000000000');
    expect(b.readBigInt64BE(27)).toBe(BigInt(T0));
    expect(b.subarray(43, 61).toString('hex')).toBe('ffffffffffffffff' + 'ffff' + 'ffffffff' + '00000001');
    // One record: length 8, attributes 0, ts delta 0, offset delta 0, key "k", value "v", 0 headers (zigzag varints).
    expect(b.subarray(RECORD_BATCH_OVERHEAD).toString('hex')).toBe('10' + '00' + '00' + '00' + '026b' + '0276' + '00');
  });

  it('a corrupted byte is caught by the CRC', () => {
    const b = encodeRecordBatch([{ key: 'k', value: 'value', timestamp: T0 }]);
    b[b.length - 2] ^= 0x01;
    expect(decodeRecordBatch(b).crcValid).toBe(false);
  });

  it('refuses an empty batch', () => {
    expect(() => encodeRecordBatch([])).toThrow(RangeError);
  });
});
