import { LabError } from '../../src/common/lab-error';
import { parseProduceBody } from '../../src/messages/produce-request';

describe('reading produce bodies', () => {
  it('takes a batch with acks, a single message, and text lines like kcat -P', () => {
    expect(parseProduceBody({ acks: 1, messages: [{ value: 'a', key: 'k', partition: 2, headers: { h: 'v' } }, { value: null }] }, 'application/json')).toEqual({
      acks: 1,
      messages: [{ key: 'k', value: 'a', partition: 2, headers: { h: 'v' } }, { key: null, value: null }],
    });
    expect(parseProduceBody({ value: 'one' }, 'application/json')).toEqual({ acks: -1, messages: [{ key: null, value: 'one' }] });
    expect(parseProduceBody('m1\nm2\r\n\nm4\n', 'text/plain')).toEqual({
      acks: -1,
      messages: ['m1', 'm2', '', 'm4'].map((value) => ({ key: null, value })),
    });
    expect(parseProduceBody({ value: 'x', acks: 'all' }, 'application/json').acks).toBe(-1);
  });

  it.each([
    [[], /must be a JSON object/],
    [{ messages: [] }, /messages is empty/],
    [{ messages: [{ value: 'v' }], key: 'k' }, /key is not a field of a batch/],
    [{ messages: [{}] }, /messages\[0\] has no value/],
    [{ messages: [{ value: 'v', partition: 1.5 }] }, /messages\[0\]\.partition must be a whole number/],
    [{ messages: [{ value: 'v', key: 3 }] }, /messages\[0\]\.key must be a string, not a number/],
    [{ value: 'v', acks: 3 }, /acks must be -1 \(all in-sync replicas\), 1 \(the leader\) or 0/],
    ['', /no lines/],
  ])('refuses %j with a sentence', (body, re) => {
    const ct = typeof body === 'string' ? 'text/plain' : 'application/json';
    expect(() => parseProduceBody(body, ct)).toThrow(LabError);
    expect(() => parseProduceBody(body, ct)).toThrow(re);
  });

  it('a JSON body that is a bare string or number is not text lines: 400', () => {
    expect(() => parseProduceBody('AAA', 'application/json')).toThrow(/must be a JSON object/);
    expect(() => parseProduceBody(3, 'application/json')).toThrow(/must be a JSON object/);
  });
});
