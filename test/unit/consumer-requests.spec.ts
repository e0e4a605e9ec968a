import { parseAcknowledgeBody } from '../../src/consumers/dto/acknowledge-request';
import { protocolRefusal } from '../../src/consumers/protocol-support';

describe('POST /api/consumers/{id}/acknowledge body', () => {
  it('takes offsets as numbers or digit strings and answers them as strings', () => {
    expect(
      parseAcknowledgeBody({
        acks: [
          { topic: 'jobs', partition: 0, offset: 5, type: 'accept' },
          { topic: 'jobs', partition: 0, offset: '0007', type: 'release' },
          { topic: 'jobs', partition: 2, offset: '9007199254740993', type: 'reject' },
        ],
      }),
    ).toEqual([
      { topic: 'jobs', partition: 0, offset: '5', type: 'accept' },
      { topic: 'jobs', partition: 0, offset: '7', type: 'release' },
      { topic: 'jobs', partition: 2, offset: '9007199254740993', type: 'reject' },
    ]);
  });

  it.each([
    [null, /must be a JSON object/],
    [{}, /acks must be a list/],
    [{ acks: [] }, /acks is empty/],
    [{ acks: [], extra: 1 }, /extra is not a field/],
    [{ acks: [{ topic: 'jobs', partition: 0, offset: -1, type: 'accept' }] }, /acks\[0\]\.offset must be the record's offset/],
    [{ acks: [{ topic: 'jobs', partition: 0, offset: 1.5, type: 'accept' }] }, /acks\[0\]\.offset/],
    [{ acks: [{ topic: 'jobs', partition: -1, offset: 1, type: 'accept' }] }, /acks\[0\]\.partition must be a whole number/],
    [{ acks: [{ topic: 'no spaces', partition: 0, offset: 1, type: 'accept' }] }, /acks\[0\]\.topic must be a topic name/],
    [{ acks: [{ topic: 'jobs', partition: 0, offset: 1, type: 'ack' }] }, /acks\[0\]\.type must be "accept".*"release".*"reject"/],
    [{ acks: [{ topic: 'jobs', partition: 0, offset: 1, type: 'accept', why: 'x' }] }, /acks\[0\] has why, which is not a field/],
  ])('refuses %j with a sentence', (body, sentence) => {
    expect(() => parseAcknowledgeBody(body)).toThrow(sentence);
    try {
      parseAcknowledgeBody(body);
    } catch (e) {
      expect(e).toMatchObject({ code: 'BAD_INPUT' });
    }
  });
});

describe('which Kafka each protocol needs', () => {
  it('classic runs everywhere; consumer from 4.0; share from 4.2', () => {
    expect(protocolRefusal('classic', '3.9.2')).toBeNull();
    expect(protocolRefusal('consumer', '4.0.0')).toBeNull();
    expect(protocolRefusal('consumer', '4.4.0')).toBeNull();
    expect(protocolRefusal('share', '4.2.0')).toBeNull();
    expect(protocolRefusal('share', '5.0.1')).toBeNull();
    expect(protocolRefusal('consumer', '3.9.2')).toBe(
      'The consumer group protocol (KIP-848) needs Kafka 4.0 or newer, but this cluster runs Kafka 3.9.2; use "protocol": "classic", or start the server with a newer KAFKA_VERSION.',
    );
    expect(protocolRefusal('share', '4.0.0')).toMatch(/^Share groups \(KIP-932\) need Kafka 4\.2 or newer \(.*\), but this cluster runs Kafka 4\.0\.0/);
    expect(protocolRefusal('share', '4.1.1')).toBe(
      'Share groups (KIP-932) need Kafka 4.2 or newer (before 4.2 a share consumer acquires whole record batches, so one member takes every record of a batch), but this cluster runs Kafka 4.1.1; use "protocol": "classic", or start the server with a newer KAFKA_VERSION.',
    );
  });

  it('refuses the new protocols on 4.x data that a 3.x formatted (its feature levels stay off), saying how to get them', () => {
    expect(protocolRefusal('classic', '4.4.0', '3.9.2')).toBeNull();
    expect(protocolRefusal('consumer', '4.4.0', '3.9.2')).toBe(
      'This cluster\'s data was formatted by Kafka 3.9.2, which has no consumer group protocol: Kafka 4.4.0 runs it with those features still off. Reset the cluster (POST /api/cluster/reset deletes its topics and starts it fresh on Kafka 4.4.0) or use "protocol": "classic".',
    );
    expect(protocolRefusal('share', '4.4.0', '3.9.2')).toMatch(/^This cluster's data was formatted by Kafka 3\.9\.2, which has no share groups/);
  });
});
