import { KafkaCodeError } from '../../src/kafka/kafka-error-codes';
import {
  alterScramCredentials, decodeAlterScramResponse, decodeDescribeScramResponse, describeScramCredentials, encodeAlterScramRequest,
  encodeDescribeScramRequest, saltPassword, scramUpsertion,
} from '../../src/kafka/protocol/scram-credentials';
import { Reader, Writer } from '../../src/kafka/protocol/wire';
import { fakeFlexibleBroker } from '../support/fake-broker';

const hex = (b: Buffer) => b.toString('hex');

describe('SCRAM credentials on the wire (AlterUserScramCredentials 51 / DescribeUserScramCredentials 50, v0 flexible)', () => {
  it('salts like RFC 5802 Hi = PBKDF2 with the hash length (the published PBKDF2-HMAC-SHA512 vector)', () => {
    expect(hex(saltPassword('password', Buffer.from('salt'), 1, 'SCRAM-SHA-512'))).toBe(
      '867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce',
    );
    expect(saltPassword('password', Buffer.from('salt'), 1, 'SCRAM-SHA-256')).toHaveLength(32);
  });

  it('an upsertion has a fresh 32-byte salt, 4096 iterations and the salted password of that salt', async () => {
    const a = await scramUpsertion('s-abc123', 'pw', 'SCRAM-SHA-512');
    const b = await scramUpsertion('s-abc123', 'pw', 'SCRAM-SHA-512');
    expect(a.iterations).toBe(4096);
    expect(a.salt).toHaveLength(32);
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(a.saltedPassword.equals(saltPassword('pw', a.salt, 4096, 'SCRAM-SHA-512'))).toBe(true);
  });

  it('encodes an alteration byte for byte: compact arrays, strings and bytes, mechanism 2 for SHA-512, empty tags', () => {
    const body = encodeAlterScramRequest(
      [{ user: 'old', mechanism: 'SCRAM-SHA-512' }],
      [{ user: 'ab', mechanism: 'SCRAM-SHA-256', iterations: 4096, salt: Buffer.from([1, 2]), saltedPassword: Buffer.from([9]) }],
    );
    expect(hex(body)).toBe([
      '02', '04', '6f6c64', '02', '00', // deletions: 1 item; "old"; SHA-512; tags
      '02', '03', '6162', '01', '00001000', '03', '0102', '02', '09', '00', // upsertions: 1; "ab"; SHA-256; 4096; salt; salted; tags
      '00', // request tags
    ].join(''));
    expect(hex(encodeAlterScramRequest([], []))).toBe('010100');
  });

  it('encodes a describe of every user as a null array and of some users by name', () => {
    expect(hex(encodeDescribeScramRequest(null))).toBe('0000');
    expect(hex(encodeDescribeScramRequest(['ab']))).toBe('0203616200' + '00');
  });

  it('decodes each user\'s outcome of an alteration', () => {
    const body = new Writer()
      .int32(0)
      .compactArray([['s-abc123', 0, null], ['nobody', 91, 'Attempt to delete a user credential that does not exist']] as const, (w, [u, code, msg]) => {
        w.compactString(u).int16(code).compactNullableString(msg).emptyTaggedFields();
      })
      .emptyTaggedFields()
      .toBuffer();
    expect(decodeAlterScramResponse(new Reader(body))).toEqual([
      { user: 's-abc123', errorCode: 0, errorMessage: null },
      { user: 'nobody', errorCode: 91, errorMessage: 'Attempt to delete a user credential that does not exist' },
    ]);
  });

  it('decodes a description (mechanisms by name) and throws a request-level error', () => {
    const describe = (code: number) => new Writer()
      .int32(0).int16(code).compactNullableString(code ? 'not allowed' : null)
      .compactArray([{ user: 'instructor', infos: [[2, 4096], [1, 8192]] }], (w, u) => {
        w.compactString(u.user).int16(0).compactNullableString(null)
          .compactArray(u.infos, (iw, [m, it]) => { iw.int8(m).int32(it).emptyTaggedFields(); })
          .emptyTaggedFields();
      })
      .emptyTaggedFields()
      .toBuffer();
    expect(decodeDescribeScramResponse(new Reader(describe(0)))).toEqual([
      { user: 'instructor', errorCode: 0, errorMessage: null, credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }, { mechanism: 'SCRAM-SHA-256', iterations: 8192 }] },
    ]);
    expect(() => decodeDescribeScramResponse(new Reader(describe(31)))).toThrow(KafkaCodeError);
  });

  it('sends both requests with header v2 to the first broker that answers', async () => {
    const seen: Array<{ apiKey: number; version: number; body: string }> = [];
    const b = await fakeFlexibleBroker(({ apiKey, version, body }) => {
      seen.push({ apiKey, version, body });
      return apiKey === 51
        ? new Writer().int32(0).compactArray(['u1'], (w, u) => { w.compactString(u).int16(0).compactNullableString(null).emptyTaggedFields(); }).emptyTaggedFields().toBuffer()
        : new Writer().int32(0).int16(0).compactNullableString(null).compactArray([] as string[], () => undefined).emptyTaggedFields().toBuffer();
    });
    try {
      const dead = { host: '127.0.0.1', port: 1 };
      const live = { host: '127.0.0.1', port: b.port };
      const up = await scramUpsertion('u1', 'pw', 'SCRAM-SHA-512');
      expect(await alterScramCredentials([dead, live], { upsertions: [up] }, { timeoutMs: 2000 })).toEqual([{ user: 'u1', errorCode: 0, errorMessage: null }]);
      expect(await describeScramCredentials([live], null, { timeoutMs: 2000 })).toEqual([]);
      expect(seen.map((s) => [s.apiKey, s.version])).toEqual([[51, 0], [50, 0]]);
      expect(seen[0].body).toBe(hex(encodeAlterScramRequest([], [up])));
      expect(seen[1].body).toBe('0000');
    } finally {
      await b.close();
    }
  });
});
