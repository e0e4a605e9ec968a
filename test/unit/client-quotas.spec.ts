import { alterClientQuotas, decodeAlterClientQuotasResponse, encodeAlterClientQuotasRequest } from '../../src/kafka/protocol/client-quotas';
import { Reader, Writer } from '../../src/kafka/protocol/wire';
import { fakeFlexibleBroker } from '../support/fake-broker';

const hex = (b: Buffer) => b.toString('hex');
const str = (s: string) => hex(Buffer.from(s, 'utf8'));

describe('client quotas on the wire (AlterClientQuotas 49, v1 flexible)', () => {
  it('encodes a set and a removal byte for byte: compact arrays and strings, FLOAT64 values, the remove flag, empty tags', () => {
    const body = encodeAlterClientQuotasRequest([
      { entity: { user: 's-a' }, ops: { producer_byte_rate: 1048576, controller_mutation_rate: null } },
    ]);
    expect(hex(body)).toBe([
      '02', // entries: 1
      '02', '05', str('user'), '04', str('s-a'), '00', // entity: [user s-a] + tags
      '03', // ops: 2
      '13', str('producer_byte_rate'), '4130000000000000', '00', '00', // 2^20 as a double, remove false, tags
      '19', str('controller_mutation_rate'), '0000000000000000', '01', '00', // removal: value 0, remove true, tags
      '00', // entry tags
      '00', // validate_only false
      '00', // request tags
    ].join(''));
  });

  it('decodes each entity\'s outcome', () => {
    const body = Buffer.from([
      '00000000', // throttle
      '03', // entries: 2
      '0000', '00', '02', '05', str('user'), '04', str('s-a'), '00', '00',
      '002a', '04', str('bad'), '02', '05', str('user'), '04', str('s-b'), '00', '00',
      '00',
    ].join(''), 'hex');
    expect(decodeAlterClientQuotasResponse(new Reader(body))).toEqual([
      { entity: { user: 's-a' }, errorCode: 0, errorMessage: null },
      { entity: { user: 's-b' }, errorCode: 42, errorMessage: 'bad' },
    ]);
  });

  it('sends key 49 v1 with header v2 to the first broker that answers', async () => {
    const seen: Array<{ apiKey: number; version: number; body: string }> = [];
    const b = await fakeFlexibleBroker(({ apiKey, version, body }) => {
      seen.push({ apiKey, version, body });
      return new Writer().int32(0).compactArray(['s-a'], (w, u) => {
        w.int16(0).compactNullableString(null).compactArray([u], (ew, n) => { ew.compactString('user').compactNullableString(n).emptyTaggedFields(); }).emptyTaggedFields();
      }).emptyTaggedFields().toBuffer();
    });
    try {
      const alteration = { entity: { user: 's-a' }, ops: { consumer_byte_rate: 1048576 } };
      expect(await alterClientQuotas([{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: b.port }], [alteration], { timeoutMs: 2000 }))
        .toEqual([{ entity: { user: 's-a' }, errorCode: 0, errorMessage: null }]);
      expect(seen).toEqual([{ apiKey: 49, version: 1, body: hex(encodeAlterClientQuotasRequest([alteration])) }]);
      expect(await alterClientQuotas([{ host: '127.0.0.1', port: b.port }], [], { timeoutMs: 2000 })).toEqual([]);
      expect(seen).toHaveLength(1);
    } finally {
      await b.close();
    }
  });
});
