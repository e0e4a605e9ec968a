// The one error boundary: codes → statuses, what every error answer looks like, 405 with Allow, body
// parser failures, bodies of a type no route reads, and Kafka's internal topics.
import { NotFoundException } from '@nestjs/common';
import express from 'express';
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { JsonBodyPipe, refuseUnreadableBodies } from '../../src/common/body-type';
import { withDeadline } from '../../src/common/deadline';
import { errorAnswerOf, expressErrorHandler } from '../../src/common/http-exception.filter';
import { LAB_ERROR_RETRIABLE, LAB_ERROR_STATUS, LabError, LabErrorCode } from '../../src/common/lab-error';
import { internalTopicRefusal, isInternalTopic } from '../../src/topics/topic-name';

/** A small Express app wired as configureApp() wires the real one: parsers, routes, Nest's 404, the boundary. */
function app() {
  const a = express();
  a.use(refuseUnreadableBodies);
  a.use(express.json({ limit: '1kb' }));
  a.use(express.text({ type: 'text/plain', limit: '1kb' }));
  a.get('/api/topics', (_req, res) => { res.json([]); });
  a.post('/api/topics', (req, res) => { res.status(201).json({ got: req.body }); });
  a.delete('/api/topics/:name', (_req, res) => { res.status(204).end(); });
  a.get('/api/fail', () => { throw new LabError('KAFKA_UNAVAILABLE', 'Partition 0 of topic t has no leader right now.'); });
  a.get('/api/bug', () => { throw new TypeError("Cannot read properties of undefined (reading 'x')"); });
  // What Nest does when no route matched.
  a.use((req, _res, next) => next(new NotFoundException(`Cannot ${req.method} ${req.path}`)));
  a.use(expressErrorHandler);
  return a;
}

describe('LabError codes', () => {
  it('map to the statuses of the contract, and say whether trying again may help', () => {
    const expected: Partial<Record<LabErrorCode, [number, boolean]>> = {
      BAD_INPUT: [400, false], FORBIDDEN: [403, false], INTERNAL_TOPIC: [403, false], NOT_FOUND: [404, false],
      CLUSTER_NOT_RUNNING: [409, false], WRONG_STATE: [409, false], IN_PROGRESS: [409, true], LIMIT_REACHED: [409, false],
      KAFKA_UNAVAILABLE: [503, true], TIMEOUT: [503, true], DRIVER_FAILED: [503, false], KAFKA_DISTRIBUTION: [503, false],
      UNSUPPORTED_MEDIA_TYPE: [415, false], TOO_MANY: [429, true],
    };
    for (const [code, [status, retriable]] of Object.entries(expected)) {
      const e = new LabError(code as LabErrorCode, 'x');
      expect([code, e.status, e.retriable]).toEqual([code, status, retriable]);
    }
    // No code is a 5xx other than 503: a 500 is kept for bugs.
    expect(Object.values(LAB_ERROR_STATUS).filter((s) => s >= 500 && s !== 503)).toEqual([]);
    expect(Object.keys(LAB_ERROR_RETRIABLE).sort()).toEqual(Object.keys(LAB_ERROR_STATUS).sort());
  });

  it('a thrower may say otherwise about retrying', () => {
    expect(new LabError('KAFKA_UNAVAILABLE', 'x', undefined, { retriable: false }).retriable).toBe(false);
  });
});

describe('a call past its deadline', () => {
  it('is a TIMEOUT (503, retriable), not a plain Error that would answer 500', async () => {
    jest.useFakeTimers();
    try {
      const p = withDeadline(new Promise(() => undefined), 5000);
      const caught = p.catch((e) => e);
      await jest.advanceTimersByTimeAsync(5000);
      const e = await caught;
      expect(e).toBeInstanceOf(LabError);
      expect([e.code, e.status, e.retriable]).toEqual(['TIMEOUT', 503, true]);
      expect(e.message).toBe('No answer within 5000 ms; Kafka may be busy or a broker paused. Try again.');
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('the error answer', () => {
  it('a retriable LabError: its status, the body with retriable: true, and Retry-After', async () => {
    const res = await request(app()).get('/api/fail').expect(503);
    expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'Partition 0 of topic t has no leader right now.', retriable: true });
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('a bug: 500 with an id that the log line names too', async () => {
    const res = await request(app()).get('/api/bug').expect(500);
    expect(res.body.message).toMatch(/^The server failed unexpectedly; this is a bug \(error id [0-9a-f-]{36}\)\.$/);
    expect(res.body.retriable).toBe(false);
    const answer = errorAnswerOf(new TypeError('boom'), { method: 'GET', url: '/api/x' } as never);
    expect(answer.bug).toContain('GET /api/x: TypeError: boom');
  });

  it('a student\'s error names their things without their prefix, in the sentence and its details; the instructor\'s as they are', () => {
    const error = () => new LabError('KAFKA_UNAVAILABLE', 'None of the 2 messages were written to topic s-abc123.lab-a: NOT_LEADER for s-abc123.lab-a-0.', [{ index: 0, reason: 'no leader for s-abc123.lab-a-0' }]);
    const ada = { method: 'POST', url: '/api/topics/lab-a/messages', principal: { id: 'abc123', name: 'Ada', role: 'student' } } as never;
    const instructor = { method: 'POST', url: '/api/topics/lab-a/messages', principal: { id: 'instructor', name: 'Instructor', role: 'instructor' } } as never;
    expect(errorAnswerOf(error(), ada).body).toMatchObject({
      message: 'None of the 2 messages were written to topic lab-a: NOT_LEADER for lab-a-0.',
      details: [{ index: 0, reason: 'no leader for lab-a-0' }],
    });
    expect(errorAnswerOf(error(), instructor).body.message).toBe(error().message);
  });

  it('a method the path does not take: 405 with Allow (HEAD with GET); an unknown path: 404', async () => {
    const trace = await request(app()).trace('/api/topics').expect(405);
    expect(trace.headers.allow).toBe('GET, HEAD, POST');
    expect(trace.body.message).toBe('/api/topics does not take TRACE; it takes GET, HEAD, POST.');
    const put = await request(app()).put('/api/topics/orders').expect(405);
    expect(put.headers.allow).toBe('DELETE');
    const none = await request(app()).get('/api/nothing-here').expect(404);
    expect(none.body.message).toBe('There is no route GET /api/nothing-here.');
  });

  it('body-parser failures: bad JSON and too large, each with a sentence', async () => {
    const bad = await request(app()).post('/api/topics').set('Content-Type', 'application/json').send('{"name": ').expect(400);
    expect(bad.body.message).toMatch(/^The request body is not valid JSON \(.+\)\.$/);
    const big = await request(app()).post('/api/topics').set('Content-Type', 'application/json').send(JSON.stringify({ v: 'x'.repeat(2000) })).expect(413);
    expect(big.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large', message: 'The request body is larger than the 1 KB the server accepts.' });
    const charset = await request(app()).post('/api/topics').set('Content-Type', 'application/json; charset=latin-9').send('{}').expect(415);
    expect(charset.body.message).toBe('The request body has a charset the server does not read; send UTF-8.');
  });

  it('a body of a type no route reads: 415 with a sentence; JSON and text pass', async () => {
    const form = await request(app()).post('/api/topics').set('Content-Type', 'application/x-www-form-urlencoded').send('name=x').expect(415);
    expect(form.body.message).toBe('The server does not read bodies of type application/x-www-form-urlencoded; send JSON with "Content-Type: application/json" (producing also takes text/plain lines).');
    await request(app()).post('/api/topics').send({ name: 'x' }).expect(201);
    await request(app()).post('/api/topics').set('Content-Type', 'text/plain').send('a\nb').expect(201);
    await request(app()).post('/api/topics').expect(201); // no body at all
  });

  it('text reaching a route that takes a JSON DTO: 415', () => {
    const pipe = new JsonBodyPipe();
    expect(() => pipe.transform('a\nb', { type: 'body' })).toThrow(/This route takes a JSON body, not text/);
    expect(pipe.transform({ name: 'x' }, { type: 'body' })).toEqual({ name: 'x' });
    expect(pipe.transform('true', { type: 'query' })).toBe('true');
  });

  it('JSON null for a route that takes a DTO: 400 (not taken for an empty object); a raw body may be null', () => {
    class SomeDto {}
    const pipe = new JsonBodyPipe();
    expect(() => pipe.transform(null, { type: 'body', metatype: SomeDto })).toThrow('The body is JSON null; this route takes a JSON object.');
    expect(pipe.transform(null, { type: 'body', metatype: Object })).toBeNull();
    expect(pipe.transform(null, { type: 'query', metatype: SomeDto })).toBeNull();
  });
});

describe("Kafka's internal topics", () => {
  it('are the names Kafka marks internal and every name starting with "__"', () => {
    expect(isInternalTopic('__consumer_offsets')).toBe(true);
    expect(isInternalTopic('__anything')).toBe(true);
    expect(isInternalTopic('_single')).toBe(false);
    expect(isInternalTopic('orders', true)).toBe(true);
  });

  it('are refused with a sentence saying what they keep', () => {
    expect(internalTopicRefusal('__consumer_offsets', 'write to')).toBe(
      "Topic __consumer_offsets is Kafka's own: it keeps the consumer groups' committed offsets; the lab does not let anyone write to it. Use a topic of your own.",
    );
    expect(internalTopicRefusal('__mine', 'create')).toBe(
      'Topic __mine is one of Kafka\'s internal topics (names starting with "__" are reserved for them); the lab does not let anyone create it. Use a topic of your own.',
    );
    expect(internalTopicRefusal('orders', 'delete')).toBeNull();
  });
});

describe('Kafka error codes by name', () => {
  /** Every .ts file under src/. */
  const sources = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));

  it('no source compares an error code with a bare number or maps one by number (KAFKA_ERRORS.<NAME> instead)', () => {
    const root = path.resolve(__dirname, '../../src');
    const bare = /(errorCode\s*[!=]==?\s*-?\d+|kafkaCodeToLabError\(\s*-?\d+)/;
    const found = sources(root)
      .filter((f) => !f.endsWith('kafka-error-codes.ts'))
      .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').map((line, i) => ({ f, line, i })))
      .filter(({ line }) => bare.test(line))
      .map(({ f, line, i }) => `${path.relative(root, f)}:${i + 1}: ${line.trim()}`);
    expect(found).toEqual([]);
  });
});
