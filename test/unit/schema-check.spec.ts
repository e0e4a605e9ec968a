// The small schema checker the e2e contract test uses: every keyword it claims, with the JSON paths
// of its problems, and the real openapi.yaml schemas on hand-made bodies.
import { checkSchema, resolvePointer } from '../support/schema-check';
import { checkResponse, loadOpenApi, responseSchema } from '../support/openapi-doc';

describe('checkSchema', () => {
  it('accepts a matching value and reports nothing', () => {
    expect(checkSchema({ a: 1, b: ['x'] }, { type: 'object', required: ['a'], properties: { a: { type: 'integer' }, b: { type: 'array', items: { type: 'string' } } } })).toEqual([]);
  });

  it('checks type, telling integer from number and naming the path', () => {
    expect(checkSchema(1.5, { type: 'integer' })).toEqual(['$: expected integer, got number 1.5']);
    expect(checkSchema(2, { type: 'number' })).toEqual([]);
    expect(checkSchema('2', { type: 'number' })).toEqual(['$: expected number, got string "2"']);
    expect(checkSchema([], { type: 'object' })).toEqual(['$: expected object, got array []']);
    expect(checkSchema(null, { type: 'object' })).toEqual(['$: expected object, got null null']);
    expect(checkSchema(true, { type: 'boolean' })).toEqual([]);
  });

  it('lets null through a type list with "null" (3.1) or nullable: true (3.0), and nowhere else', () => {
    expect(checkSchema(null, { type: ['integer', 'null'] })).toEqual([]);
    expect(checkSchema(3, { type: ['integer', 'null'] })).toEqual([]);
    expect(checkSchema('3', { type: ['integer', 'null'] })).toEqual(['$: expected integer or null, got string "3"']);
    expect(checkSchema(null, { type: 'string', nullable: true })).toEqual([]);
    expect(checkSchema(null, { type: 'string' })).toHaveLength(1);
  });

  it('reports missing required properties and undocumented ones when additionalProperties is false', () => {
    const schema = { type: 'object', required: ['id', 'name'], additionalProperties: false, properties: { id: { type: 'integer' }, name: { type: 'string' } } };
    expect(checkSchema({ id: 1, extra: true }, schema)).toEqual([
      '$.name: is required but missing',
      '$.extra: is not a documented property (additionalProperties is false)',
    ]);
    // Without additionalProperties: false, extra properties are fine.
    expect(checkSchema({ id: 1, name: 'a', extra: true }, { ...schema, additionalProperties: undefined })).toEqual([]);
  });

  it('checks additionalProperties given as a schema (maps)', () => {
    const map = { type: 'object', additionalProperties: { type: 'integer' } };
    expect(checkSchema({ '0': 3, '1': 4 }, map)).toEqual([]);
    expect(checkSchema({ '0': 3, 'min.insync.replicas': 'x' }, map)).toEqual(['$["min.insync.replicas"]: expected integer, got string "x"']);
  });

  it('checks array items with indexed paths, and nested objects', () => {
    const schema = { type: 'object', properties: { brokers: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' } } } } } };
    expect(checkSchema({ brokers: [{ id: 0 }, { id: 'one' }] }, schema)).toEqual(['$.brokers[1].id: expected integer, got string "one"']);
  });

  it('checks enum, const, bounds, lengths and patterns', () => {
    expect(checkSchema('paused', { type: 'string', enum: ['running', 'stopped'] })).toEqual(['$: "paused" is not one of "running", "stopped"']);
    expect(checkSchema(-1, { enum: [-1, 0, 1, 'all'] })).toEqual([]);
    expect(checkSchema(false, { const: true })).toEqual(['$: false is not true']);
    expect(checkSchema(0, { type: 'integer', minimum: 1, maximum: 9 })).toEqual(['$: 0 is less than the minimum 1']);
    expect(checkSchema(10, { type: 'integer', minimum: 1, maximum: 9 })).toEqual(['$: 10 is more than the maximum 9']);
    expect(checkSchema('', { type: 'string', minLength: 1 })).toEqual(['$: "" is shorter than 1']);
    expect(checkSchema('a b', { type: 'string', pattern: '^[a-z]+$' })).toEqual(['$: "a b" does not match /^[a-z]+$/']);
    expect(checkSchema([1], { type: 'array', minItems: 2 })).toEqual(['$: 1 items, fewer than 2']);
  });

  it('checks format date-time loosely', () => {
    expect(checkSchema(new Date().toISOString(), { type: 'string', format: 'date-time' })).toEqual([]);
    expect(checkSchema('2025-01-02T03:04:05+01:00', { type: 'string', format: 'date-time' })).toEqual([]);
    expect(checkSchema('yesterday', { type: 'string', format: 'date-time' })).toEqual(['$: "yesterday" is not a date-time']);
    expect(checkSchema('2025-13-45T99:00:00Z', { type: 'string', format: 'date-time' })).toHaveLength(1);
    // Other formats are not checked.
    expect(checkSchema('x', { type: 'string', format: 'uuid' })).toEqual([]);
  });

  it('follows $ref into the root document, and reports one that leads nowhere', () => {
    const root = { components: { schemas: { Node: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } } } };
    expect(checkSchema({ id: 'x' }, { $ref: '#/components/schemas/Node' }, { root })).toEqual(['$.id: expected integer, got string "x"']);
    expect(checkSchema({}, { $ref: '#/components/schemas/Nope' }, { root })).toEqual(['$: $ref #/components/schemas/Nope does not resolve']);
    expect(resolvePointer({ a: { 'b/c': 1 } }, '#/a/b~1c')).toBe(1);
  });

  it('does not loop forever on a self-referencing schema', () => {
    const root = { s: { $ref: '#/s' } };
    expect(checkSchema(1, { $ref: '#/s' }, { root })[0]).toMatch(/deeper than/);
  });

  it('requires exactly one oneOf alternative, and shows the closest one when none fits', () => {
    const schema = {
      oneOf: [
        { type: 'object', required: ['messages'], additionalProperties: false, properties: { messages: { type: 'array' } } },
        { type: 'object', required: ['value'], additionalProperties: false, properties: { value: { type: 'string' }, key: { type: 'string' } } },
      ],
    };
    expect(checkSchema({ messages: [] }, schema)).toEqual([]);
    expect(checkSchema({ value: 'v' }, schema)).toEqual([]);
    const none = checkSchema({ value: 1 }, schema);
    expect(none[0]).toBe('$: matches none of the 2 oneOf alternatives; the closest (#1) says:');
    expect(none).toContain('  $.value: expected string, got integer 1');
    expect(checkSchema('x', { oneOf: [{ type: 'string' }, { type: 'string', minLength: 1 }] })).toEqual([
      '$: matches 2 oneOf alternatives (#0, #1); exactly one must match',
    ]);
  });

  it('requires at least one anyOf alternative, every allOf part, and no match of not', () => {
    expect(checkSchema(1, { anyOf: [{ type: 'string' }, { type: 'integer' }] })).toEqual([]);
    expect(checkSchema(true, { anyOf: [{ type: 'string' }, { type: 'integer' }] })[0]).toMatch(/matches none of the 2 anyOf/);
    const both = { allOf: [{ type: 'object', required: ['seq'] }, { type: 'object', required: ['topic'] }] };
    expect(checkSchema({ seq: 1 }, both)).toEqual(['$.topic: is required but missing']);
    expect(checkSchema('x', { not: { type: 'string' } })).toEqual(['$: matches a schema it must not match']);
  });

  it('treats true / {} as anything and false as nothing', () => {
    expect(checkSchema({ any: 'thing' }, {})).toEqual([]);
    expect(checkSchema(1, true)).toEqual([]);
    expect(checkSchema(1, false)).toEqual(['$: no value is allowed here']);
  });
});

describe('checkSchema on the schemas of openapi.yaml', () => {
  const doc = loadOpenApi();
  const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const node = { id: 0, role: 'broker', state: 'running', host: '127.0.0.1', port: 9092, since: '2025-01-01T00:00:00.000Z' };
  const cluster = { state: 'running', driver: 'process', kafkaVersion: '3.9.2', clusterId: 'abc', controllers: [{ ...node, id: 100, role: 'controller', port: 9112 }], brokers: [node], bootstrapServers: '127.0.0.1:9092' };

  it('accepts a real-looking cluster and rejects a wrong node state with its path', () => {
    expect(checkSchema(cluster, schema('Cluster'), { root: doc })).toEqual([]);
    expect(checkSchema({ ...cluster, clusterId: null }, schema('Cluster'), { root: doc })).toEqual([]);
    const bad = { ...cluster, brokers: [{ ...node, state: 'sleeping' }] };
    expect(checkSchema(bad, schema('Cluster'), { root: doc })).toEqual([
      '$.brokers[0].state: "sleeping" is not one of "starting", "running", "stopped", "killed", "paused", "crashed", "unreachable"',
    ]);
  });

  it('tells events apart by type (oneOf), and checks each type its fields', () => {
    const base = { seq: 5, time: '2025-01-01T00:00:00.000Z', actor: 'kafka' };
    expect(checkSchema({ ...base, type: 'partition.leader-changed', topic: 't', partition: 0, from: 1, to: null }, schema('Event'), { root: doc })).toEqual([]);
    expect(checkSchema({ ...base, type: 'node.crashed', nodeId: 1, role: 'broker', exitCode: null, signal: 'SIGKILL' }, schema('Event'), { root: doc })).toEqual([]);
    const wrong = checkSchema({ ...base, type: 'topic.created', topic: 't', partitions: '3', replicationFactor: 3 }, schema('Event'), { root: doc });
    expect(wrong.join('\n')).toContain('$.partitions: expected integer, got string "3"');
    expect(checkSchema({ ...base, type: 'no.such-type' }, schema('Event'), { root: doc })[0]).toMatch(/matches none of the 12 oneOf/);
  });

  it('takes the three JSON produce bodies apart', () => {
    expect(checkSchema({ messages: [{ value: 'a' }, { key: 'k', value: 'b', partition: 1, headers: { h: 'v' } }], acks: 1 }, schema('ProduceRequest'), { root: doc })).toEqual([]);
    expect(checkSchema({ value: 'a', acks: 'all' }, schema('ProduceRequest'), { root: doc })).toEqual([]);
    expect(checkSchema({ messages: [], acks: 2 }, schema('ProduceRequest'), { root: doc }).length).toBeGreaterThan(0);
  });

  it('finds the response schema of an operation and checks a whole answer', () => {
    expect(responseSchema(doc, 'get', '/api/topics/{name}', 200, 'text/plain')).toMatchObject({ type: 'string' });
    expect(checkResponse(doc, 'get', '/api/health', { status: 200, body: { status: 'ok', cluster } })).toEqual([]);
    expect(checkResponse(doc, 'get', '/api/health', { status: 418, body: {} })[0]).toMatch(/does not document status 418/);
    expect(checkResponse(doc, 'get', '/api/me', { status: 401, body: { statusCode: 401, error: 'Unauthorized' } })).toEqual([
      'GET /api/me 401: $.message: is required but missing',
    ]);
  });
});
