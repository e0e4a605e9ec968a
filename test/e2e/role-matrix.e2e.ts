// The role × route matrix: every operation of openapi.yaml, called by everyone who might call it, with
// the status the class contract (API.md "Class namespaces", the issue's roles) says it answers. The
// operations come from the file, so a new route without a row here fails, and so does a row for an
// operation the file no longer has. Every answer must also be a status the file documents for the
// operation, with a body that fits its schema; the table must agree with the file's security, x-roles
// and x-node-control. The socket half does the same for every kind of subscription in x-websocket.
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';
import { loadOpenApi, operations } from '../support/openapi-doc';
import { AUTHORIZED as OK, Cell, COLUMNS, Column, ghostOf, isPending, NA as __, Row, row, runCell, SKIP, withoutNames } from '../support/role-matrix';
import { subscribeAck, subscriptionKinds, subscriptionOf } from '../support/role-matrix-socket';
import { watchedSocket, WatchedSocket } from '../support/socket';
import { addStudent } from '../support/class';
import { buildFixture, clusterName, consumerOf, inventory, MatrixFixture, removeAllBut, targetsOf, topicOf } from '../support/role-matrix-fixture';

const doc = loadOpenApi();
const ops = operations(doc);
let fx: MatrixFixture;

// ---------------------------------------------------------------- what a cell's body must show
const names = (list: Array<Record<string, unknown>>, key: string) => list.map((x) => String(x[key]));
/** Problems when `list` lacks one of `want` or has one of `never`. */
function shows(what: string, list: string[], want: string[], never: string[]): string[] {
  // An empty name is a part the fixture could not make: the cells that need it say why.
  want = want.filter(Boolean);
  return [
    ...want.filter((n) => !list.includes(n)).map((n) => `${what} lacks ${n}`),
    ...never.filter((n) => list.includes(n)).map((n) => `${what} shows ${n}, which is not the caller's`),
  ];
}
/** A student's list of their names: their own and the shared ones, none of another student's, none with a prefix. */
function studentSees(what: string, list: string[], want: string[], otherNames: string[]): string[] {
  return [...shows(what, list, want, otherNames), ...list.filter((n) => /^s-[a-z0-9]{6}\./.test(n)).map((n) => `${what} shows the cluster name ${n}`)];
}
const otherTopic = () => [fx.b.topic, clusterName(fx.b, fx.b.topic)];
const otherGroup = () => [fx.b.group, clusterName(fx.b, fx.b.group)];

// ---------------------------------------------------------------- calls that use up what they act on
const freshStudent = async () => ({ student: (await addStudent('matrix-gone')).id });
/** A new topic of the first student's: as they name it, or as the instructor does. */
const freshTopic = async (column: Column) => {
  const name = await topicOf(fx.a.token, 'mx-doomed');
  return { topic: column === 'instructor' ? clusterName(fx.a, name) : name };
};
const freshConsumer = async () => ({ consumer: await consumerOf(fx.a.token, fx.a.topic, uniqueName('mx-doomed')) });
/** Stop and kill on a consumer already stopped: 409, which only a caller allowed to act on it gets. */
const stoppedConsumer = async () => ({ consumer: fx.a.stoppedConsumer });
/** Only where the column acts on its own or a student's things (other columns keep theirs, e.g. the other student's to get 404). */
const onlyFor = (columns: Column[], make: (c: Column) => Promise<object>) => async (c: Column) => (columns.includes(c) ? make(c) : {});

/**
 * The table. Columns (test/support/role-matrix.ts COLUMNS): no token | unknown token | a student on
 * their own things | on another student's | on the shared topic (or their consumer/group of it) | the
 * instructor on the student's things | the student with studentsMayControlBrokers on. OK: any answer
 * but 401/403/404/5xx (the lifecycle calls are sent in a form that passes authorization without
 * harming the shared cluster: `wait=maybe` and bad bodies are 400, starting what runs is 409 or 200).
 * `__`: nothing of that kind in the route.
 * Every row is also called with dead student tokens (removed, replaced by a re-issue), expecting what
 * the unknown token gets; and every 404 of "other" must read as the 404 for a thing nobody has.
 */
const TABLE: Record<string, Row> = {
  // operationId             [anon, unknown, own, other, shared, instructor, brokersAllowed]
  // ---------------------------------------------------------------- identity and class
  getHealth:           row([200, 200, 200, __, __, 200, __]),
  getMe:               row([401, 401, 200, __, __, 200, __]),
  // The shared server runs the class listener (LAB_KAFKA_PUBLIC_HOST): everyone has Kafka settings of their own.
  getMeKafka:          row([401, 401, 200, __, __, 200, __]),
  getRuntime:          row([401, 401, 403, __, __, 200, __]),
  // Outside /api (Prometheus's default path); LAB_METRICS_PUBLIC is off on the shared server.
  getMetrics:          row([401, 401, 403, __, __, 200, __]),
  joinClass:           row([201, 201, 201, __, __, 201, __], { body: () => ({ code: fx.joinCode, name: uniqueName('mx-joined') }) }),
  listStudents:        row([401, 401, 403, __, __, 200, __]),
  createStudent:       row([401, 401, 403, __, __, 201, __], { body: () => ({ name: uniqueName('mx-added') }) }),
  deleteStudent:       row([401, 401, 403, 403, __, 204, __], { fresh: onlyFor(['instructor'], freshStudent) }),
  reissueStudentToken: row([401, 401, 403, 403, __, 201, __], { fresh: onlyFor(['instructor'], freshStudent) }),
  getClass:            row([401, 401, 403, __, __, 200, __]),
  // The value it has (the fixture joined with it open): changes nothing.
  updateClass:         row([401, 401, 403, __, __, 200, __], { body: () => ({ joinOpen: true }) }),
  // No token needed; the shared server's class listener has no TLS, so there is no CA: 404 for everyone.
  getClassCaCertificate: row([404, 404, 404, __, __, 404, __]),
  // ---------------------------------------------------------------- cluster lifecycle
  getCluster:          row([401, 401, 200, __, __, 200, __]),
  startCluster:        row([401, 401, 403, __, __, 200, 403]),
  stopCluster:         row([401, 401, 403, __, __, OK, 403], { query: 'wait=maybe' }),
  resetCluster:        row([401, 401, 403, __, __, OK, 403], { body: () => ({ brokers: 0 }) }),
  addBroker:           row([401, 401, 403, __, __, OK, 403], { body: () => ({ matrix: true }) }),
  stopNode:            row([401, 401, 403, __, __, OK, OK], { query: 'wait=maybe' }),
  killNode:            row([401, 401, 403, __, __, OK, OK], { query: 'wait=maybe' }),
  pauseNode:           row([401, 401, 403, __, __, OK, OK], { query: 'wait=maybe' }),
  resumeNode:          row([401, 401, 403, __, __, 409, 409]),
  startNode:           row([401, 401, 403, __, __, 409, 409]),
  // ---------------------------------------------------------------- topics and producing
  listTopics:          row([401, 401, 200, __, __, 200, __], {
    sees: (c, body) => c === 'own' ? studentSees('the topic list', names(body, 'name'), [fx.a.topic, fx.sharedTopic], otherTopic())
      : shows('the topic list', names(body, 'name'), [clusterName(fx.a, fx.a.topic), clusterName(fx.b, fx.b.topic), fx.sharedTopic], []),
  }),
  // other: the other student's name is free in this student's namespace; shared: the shared topic's name is taken.
  createTopic:         row([401, 401, 201, 201, 409, 201, __], {
    // other: the other student's spare topic's name, once (the cluster-name form would be a name of this student's own too).
    fresh: async (c, t) => c === 'shared' ? {} : c !== 'other' ? { topic: uniqueName('mx-made') } : t.topic === fx.b.topic ? { topic: fx.b.spareTopic } : SKIP,
    body: (t) => ({ name: t.topic, partitions: 1, replicationFactor: 1 }),
  }),
  describeTopic:       row([401, 401, 200, 404, 200, 200, __]),
  deleteTopic:         row([401, 401, 204, 404, 403, 204, __], { fresh: onlyFor(['own', 'instructor'], freshTopic) }),
  electLeaders:        row([401, 401, 200, 404, 403, 200, __]),
  produce:             row([401, 401, 201, 404, 201, 201, __], { body: () => ({ value: 'matrix' }) }),
  // ---------------------------------------------------------------- consumers and groups
  listConsumers:       row([401, 401, 200, __, __, 200, __], {
    sees: (c, body) => shows('the consumer list', names(body, 'id'), c === 'own' ? [fx.a.consumer, fx.a.sharedConsumer] : [fx.a.consumer, fx.b.consumer], c === 'own' ? [fx.b.consumer] : []),
  }),
  createConsumer:      row([401, 401, 201, 404, 201, 201, __], { body: (t) => ({ topic: t.topic, groupId: uniqueName('mx-made') }) }),
  getConsumer:         row([401, 401, 200, 404, 200, 200, __]),
  deleteConsumer:      row([401, 401, 204, 404, __, 204, __], { fresh: onlyFor(['own', 'instructor'], freshConsumer) }),
  consumerMessages:    row([401, 401, 200, 404, 200, 200, __]),
  stopConsumer:        row([401, 401, 409, 404, __, 409, __], { fresh: onlyFor(['own', 'instructor'], stoppedConsumer) }),
  killConsumer:        row([401, 401, 409, 404, __, 409, __], { fresh: onlyFor(['own', 'instructor'], stoppedConsumer) }),
  // A classic consumer takes no acknowledgements: 409, past the visibility check.
  acknowledgeRecords:  row([401, 401, 409, 404, __, 409, __], { body: (t) => ({ acks: [{ topic: t.topic, partition: 0, offset: '0', type: 'accept' }] }) }),
  listGroups:          row([401, 401, 200, __, __, 200, __], {
    sees: (c, body) => c === 'own' ? studentSees('the group list', names(body, 'groupId'), [fx.a.group, fx.a.sharedGroup], otherGroup())
      : shows('the group list', names(body, 'groupId'), [clusterName(fx.a, fx.a.group), clusterName(fx.b, fx.b.group)], []),
  }),
  describeGroup:       row([401, 401, 200, 404, 200, 200, __]),
  // ---------------------------------------------------------------- timeline and grading
  listEvents:          row([401, 401, 200, __, __, 200, __], {
    query: 'limit=5000',
    sees: (c, body) => c !== 'own' ? [] : (body.events as Array<Record<string, unknown>>)
      // Cluster names only: the other student's plain names are this student's own too (createTopic's "other" cell made one).
      .filter((e) => [clusterName(fx.b, fx.b.topic), clusterName(fx.b, fx.b.group), fx.b.consumer].some((n) => e.topic === n || e.groupId === n || e.consumerId === n))
      .map((e) => `event ${e.seq} (${e.type}) is about the other student's things`),
  }),
  // Every student in the class is graded, by their id; the other student's report is 404, as an id nobody has.
  listGrading:         row([401, 401, 403, __, __, 200, __], {
    sees: (_c, body) => shows('the grading list', (body as Array<{ student: { id: string } }>).map((r) => r.student.id), [fx.a.id, fx.b.id], []),
  }),
  getGrading:          row([401, 401, 200, 404, __, 200, __], {
    sees: (_c, body) => (body.student?.id === fx.a.id ? [] : [`the report is of ${body.student?.id}, not of ${fx.a.id}`]),
  }),
  // ---------------------------------------------------------------- labs
  // The instructor is never graded: nothing passed.
  listLabs:            row([401, 401, 200, __, __, 200, __], {
    sees: (c, body) => [
      ...shows('the lab list', names(body, 'id'), ['A', 'B', 'C', 'D', 'E', 'F', 'G'], []),
      ...(c === 'instructor' && (body as Array<{ passed: string[] }>).some((l) => l.passed.length) ? ['the instructor passed checkpoints'] : []),
    ],
  }),
  getLab:              row([401, 401, 200, __, __, 200, __], {
    sees: (c, body) => [
      ...(body.id === 'C' ? [] : [`lab ${body.id}, not C`]),
      ...(c === 'instructor' && (body.steps as Array<{ passed: unknown }>).some((s) => s.passed !== null) ? ['the instructor has a step passed or not, not null'] : []),
    ],
  }),
};

/**
 * The socket's table: each kind of subscription openapi.yaml's x-websocket offers × who subscribes
 * (the student on their own things, on another student's, on the shared topic or their consumer and
 * group of it; the instructor on the student's). `refused`: the ack says no, with the sentence a thing
 * nobody has gets (of the same form). No token, an unknown one and dead ones are refused at the handshake.
 */
type SocketCell = 'ok' | 'refused' | typeof __;
const SOCKET_COLUMNS = ['own', 'other', 'shared', 'instructor'] as const;
const SOCKET_TABLE: Record<string, [SocketCell, SocketCell, SocketCell, SocketCell]> = {
  // kind       [own, other, shared, instructor]
  consumer: ['ok', 'refused', 'ok', 'ok'],
  topic:    ['ok', 'refused', 'ok', 'ok'],
  group:    ['ok', 'refused', 'ok', 'ok'],
  cluster:  ['ok', __, __, 'ok'],
  events:   ['ok', __, __, 'ok'],
  progress: ['ok', __, __, 'ok'],
};

const implemented = (o: { op: Record<string, unknown> }) => o.op['x-implemented'] !== false;
const BY_CALLER: Column[] = [...COLUMNS.filter((c) => c !== 'brokersAllowed'), 'revoked'];

describe('role × route matrix: every operation of openapi.yaml × who calls', () => {
  let before: Awaited<ReturnType<typeof inventory>>;

  beforeAll(async () => {
    before = await inventory();
    fx = await buildFixture(sharedLab().token);
  });

  afterAll(async () => {
    const waiting = Object.entries(TABLE).flatMap(([id, r]) => COLUMNS.filter((c) => isPending(r.cells[c])).map((c) => `${id} ${c}: ${(r.cells[c] as { pending: string }).pending}`));
    if (waiting.length) process.stdout.write(`% role matrix: ${waiting.length} cells pending:\n${waiting.map((w) => `%   ${w}`).join('\n')}\n`);
    if (before) await removeAllBut(before);
  });

  it('has one row per operation of openapi.yaml, and none for an operation the file lacks', () => {
    const inFile = ops.map((o) => String(o.op.operationId));
    expect(inFile.filter((id) => !TABLE[id]).map((id) => `no row for ${id}`)).toEqual([]);
    expect(Object.keys(TABLE).filter((id) => !inFile.includes(id)).map((id) => `a row for ${id}, which openapi.yaml does not have`)).toEqual([]);
  });

  it("agrees with what openapi.yaml says of each operation's callers (security, x-roles, x-node-control)", () => {
    const status = (c: Cell) => (isPending(c) ? c.expected : c);
    const problems: string[] = [];
    for (const o of ops.filter(implemented)) {
      const id = String(o.op.operationId);
      const cells = TABLE[id]?.cells;
      if (!cells) continue;
      const isPublic = (o.op.security ?? doc.security ?? []).length === 0;
      const roles = o.op['x-roles'] as string[] | undefined;
      const say = (what: string) => problems.push(`${id}: ${what}`);
      if (isPublic === (status(cells.anon) === 401)) say(`the file says it ${isPublic ? 'needs no token' : 'needs a token'}, the anon cell says ${status(cells.anon)}`);
      if (!isPublic && status(cells.unknown) !== 401) say(`an unknown token gets ${status(cells.unknown)}, not 401`);
      if (roles && !roles.includes('student') && (status(cells.own) !== 403 || ![403, __].includes(status(cells.brokersAllowed) as never))) {
        say(`x-roles [${roles}], but a student gets ${status(cells.own)} (with studentsMayControlBrokers on: ${status(cells.brokersAllowed)})`);
      }
      if (o.op['x-node-control'] && (status(cells.own) !== 403 || [403, __].includes(status(cells.brokersAllowed) as never))) {
        say(`x-node-control: a student must get 403, then be let through with studentsMayControlBrokers on (cells ${status(cells.own)}, ${status(cells.brokersAllowed)})`);
      }
      if (!roles && !o.op['x-node-control'] && status(cells.own) === 403) say('no x-roles, yet a student on their own things gets 403');
    }
    expect(problems).toEqual([]);
  });

  for (const o of ops) {
    const id = String(o.op.operationId);
    it(`${id}: ${o.method.toUpperCase()} ${o.path}`, async () => {
      const r = TABLE[id];
      if (!r) throw new Error(`openapi.yaml has ${id} (${o.method.toUpperCase()} ${o.path}) but the matrix has no row for it: add one to TABLE`);
      const problems: string[] = [];
      for (const column of BY_CALLER) problems.push(...(await runCell(doc, o, r, column, targetsOf(fx, column), { contract: implemented(o) })));
      expect(problems).toEqual([]);
    });
  }

  it('studentsMayControlBrokers on: students act on nodes, never on the whole cluster', async () => {
    const lifecycle = ops.filter((o) => TABLE[String(o.op.operationId)]?.cells.brokersAllowed !== __);
    expect(lifecycle.length).toBeGreaterThanOrEqual(9);
    const was = (await api().get('/api/class').expect(200)).body.studentsMayControlBrokers;
    await api().patch('/api/class').send({ studentsMayControlBrokers: true }).expect(200);
    const problems: string[] = [];
    try {
      for (const o of lifecycle) problems.push(...(await runCell(doc, o, TABLE[String(o.op.operationId)], 'brokersAllowed', targetsOf(fx, 'brokersAllowed'), { contract: true })));
    } finally {
      await api().patch('/api/class').send({ studentsMayControlBrokers: was }).expect(200);
    }
    expect(problems).toEqual([]);
  });

  describe('socket.io: every kind of subscription × who subscribes', () => {
    const kinds = subscriptionKinds(doc);
    const sockets: WatchedSocket[] = [];
    const open = async (token: string | null) => {
      const s = await watchedSocket(token);
      sockets.push(s);
      return s;
    };
    afterAll(() => sockets.forEach((s) => s.socket.close()));
    /** One socket for the student and one for the instructor, for every kind (the student's sockets quota is small). */
    let pair: Promise<[WatchedSocket, WatchedSocket]> | undefined;
    const signedIn = () => (pair ??= Promise.all([open(fx.a.token), open(fx.instructorToken)]));

    it('has one row per kind of subscription in x-websocket, and none for a kind it lacks', () => {
      expect(kinds.map((k) => k.kind).filter((k) => !SOCKET_TABLE[k]).map((k) => `no row for { ${k} }`)).toEqual([]);
      expect(Object.keys(SOCKET_TABLE).filter((k) => !kinds.some((x) => x.kind === k)).map((k) => `a row for { ${k} }, which x-websocket does not offer`)).toEqual([]);
    });

    it('refuses no token, an unknown token and dead ones at the handshake, with a sentence', async () => {
      const refused: string[] = [];
      for (const token of [null, `not-a-token-${uniqueName('matrix')}`, ...fx.revokedTokens]) {
        const s = await open(token);
        await waitFor('the server to close the socket', () => s.closed(), 10_000);
        if (s.errors.length !== 1) refused.push(`${token === null ? 'no token' : token}: errors ${JSON.stringify(s.errors)}`);
      }
      expect(refused).toEqual([]);
    });

    for (const { kind, fixed } of subscriptionKinds(doc)) {
      it(`{ ${kind} }`, async () => {
        const cells = SOCKET_TABLE[kind];
        if (!cells) throw new Error(`x-websocket offers { ${kind} } but the matrix has no row for it: add one to SOCKET_TABLE`);
        const [student, instructor] = await signedIn();
        const problems: string[] = [];
        for (const [i, column] of SOCKET_COLUMNS.entries()) {
          const cell = cells[i];
          if (cell === __) continue;
          const s = column === 'instructor' ? instructor : student;
          // The other student's things by their cluster names only: a name without a prefix is in the
          // subscriber's own namespace, where subscribing to a topic or group before it exists is allowed.
          const targets = column === 'other' ? targetsOf(fx, column).slice(1) : targetsOf(fx, column);
          for (const t of targets) {
            const what = subscriptionOf(kind, fixed, t);
            const ack = await subscribeAck(s.socket, what);
            if ((cell === 'ok') !== ack.ok) {
              problems.push(`${column}: ${JSON.stringify(what)} acked ${JSON.stringify(ack)}, the table says ${cell}`);
            } else if (cell === 'refused') {
              const ghost = ghostOf(t);
              const none = await subscribeAck(s.socket, subscriptionOf(kind, fixed, ghost));
              if (withoutNames(String(ack.error), t) !== withoutNames(String(none.error), ghost)) {
                problems.push(`${column}: ${JSON.stringify(what)} is refused unlike a thing nobody has: ${JSON.stringify(ack.error)} vs ${JSON.stringify(none)}`);
              }
            }
          }
        }
        expect(problems).toEqual([]);
      });
    }
  });
});
