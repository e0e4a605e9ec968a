import { eventMark, waitForEvents } from '../support/events';
import { kcat, kcatAvailable } from '../support/kcat';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';

const bootstrap = () => sharedLab().bootstrap.join(',');

describe('topics and producing (real Kafka, kcat as the outside client)', () => {
  beforeAll(() => {
    if (!kcatAvailable()) throw new Error('kcat is not installed: `apt-get install kcat` (.ci/run does it)');
  });

  it('creates, lists, describes (JSON and kafka-topics text) and deletes a topic', async () => {
    const name = uniqueName('orders');
    const mark = await eventMark();
    const created = (await api().post('/api/topics').send({ name, partitions: 4, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }).expect(201)).body;
    expect(created).toMatchObject({ name, replicationFactor: 3, configs: { 'min.insync.replicas': '2' }, owner: 'instructor', warnings: [] });
    expect(created.partitions).toHaveLength(4);
    const leaders = new Set<number>();
    for (const [i, p] of created.partitions.entries()) {
      expect(p.partition).toBe(i);
      expect(p.replicas).toHaveLength(3);
      expect([...p.isr].sort()).toEqual([...p.replicas].sort());
      expect(p.offlineReplicas).toEqual([]);
      expect(p.earliestOffset).toBe('0');
      expect(p.latestOffset).toBe('0');
      leaders.add(p.leader);
    }
    expect(leaders.size).toBe(3); // leadership spread over the brokers
    const list = (await api().get('/api/topics').expect(200)).body;
    expect(list).toContainEqual({ name, partitions: 4, replicationFactor: 3, owner: 'instructor' });
    expect(list.some((t: any) => t.name.startsWith('__'))).toBe(false);
    const internal = (await api().get('/api/topics?internal=true').expect(200)).body;
    expect(internal.map((t: any) => t.name)).toEqual(expect.arrayContaining(list.map((t: any) => t.name)));

    const text = (await api().get(`/api/topics/${name}?format=text`).expect(200).expect('content-type', /text\/plain/)).text;
    const lines = text.split('\n').slice(0, -1); // every line ends in \n, some in a space before it
    expect(lines[0]).toBe(`Topic: ${name}\tTopicId: ${created.topicId}\tPartitionCount: 4\tReplicationFactor: 3\tConfigs: min.insync.replicas=2,segment.bytes=16777216,unclean.leader.election.enable=false`);
    expect(lines).toHaveLength(5);
    created.partitions.forEach((p: any, i: number) => {
      expect(lines[i + 1]).toBe(`\tTopic: ${name}\tPartition: ${i}\tLeader: ${p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}\tElr: \tLastKnownElr: `);
    });
    await api().get(`/api/topics/${name}?format=xml`).expect(400);

    await api().delete(`/api/topics/${name}`).expect(204);
    // Writing at once to the topic just deleted (the metadata picture may be a second old): 404 quickly.
    const t0 = Date.now();
    const gone = await api().post(`/api/topics/${name}/messages`).send({ value: 'too late' }).expect(404);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(gone.body.message).toBe(`Topic ${name} does not exist.`);
    await api().get(`/api/topics/${name}`).expect(404);
    await api().delete(`/api/topics/${name}`).expect(404);
    await waitForEvents('topic.created and topic.deleted', mark, (e) =>
      e.some((x) => x.type === 'topic.created' && x.topic === name && x.partitions === 4 && x.replicationFactor === 3)
      && e.some((x) => x.type === 'topic.deleted' && x.topic === name));
  });

  it('answers bad topic requests with clear 4xx sentences', async () => {
    const name = uniqueName('dup');
    await api().post('/api/topics').send({ name, partitions: 1, replicationFactor: 1 }).expect(201);
    expect((await api().post('/api/topics').send({ name, partitions: 1, replicationFactor: 1 }).expect(409)).body.message).toBe(`Topic ${name} already exists.`);
    expect((await api().post('/api/topics').send({ name: 'rf-too-big', partitions: 3, replicationFactor: 4 }).expect(400)).body.message)
      .toBe('replication factor 4 is larger than the 3 brokers that are running');
    expect((await api().post('/api/topics').send({ name: 'has space', partitions: 1, replicationFactor: 1 }).expect(400)).body.message).toMatch(/only letters, digits/);
    expect((await api().post('/api/topics').send({ name: 'x'.repeat(250), partitions: 1, replicationFactor: 1 }).expect(400)).body.message).toMatch(/249/);
    expect((await api().post('/api/topics').send({ name: 'p0', partitions: 0, replicationFactor: 1 }).expect(400)).body.message).toMatch(/partitions must be/);
    expect((await api().post('/api/topics').send({ name: 'p101', partitions: 101, replicationFactor: 1 }).expect(400)).body.message).toMatch(/partitions must be/);
    expect((await api().post('/api/topics').send({ partitions: 1, replicationFactor: 1 }).expect(400)).body.message).toMatch(/name/);
    const badConfig = await api().post('/api/topics').send({ name: uniqueName('cfg'), partitions: 1, replicationFactor: 1, configs: { 'retention.ms': 'soon' } }).expect(400);
    expect(badConfig.body.message).toMatch(/retention\.ms/);
    const json = await api().post('/api/topics').set('content-type', 'application/json').send('{"name": ').expect(400);
    expect(json.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(json.body.message).toMatch(/not valid JSON/);
    await api().get('/api/topics/no-such-topic-here').expect(404);
    await api().post('/api/no-such-route').expect(404);
    await api().delete(`/api/topics/${name}`).expect(204);
  });

  it('produces JSON single, batch with keys/partitions/headers and text lines; kcat reads exactly that', async () => {
    const name = uniqueName('produce');
    await api().post('/api/topics').send({ name, partitions: 3, replicationFactor: 3 }).expect(201);
    const mark = await eventMark();
    const one = (await api().post(`/api/topics/${name}/messages`).send({ value: 'single', partition: 1 }).expect(201)).body;
    expect(one).toEqual({ results: [{ partition: 1, offset: '0' }] });
    const batch = (await api().post(`/api/topics/${name}/messages`).send({
      acks: 1,
      messages: [
        { key: 'user-7', value: 'k1' },
        { key: 'user-7', value: 'k2', headers: { source: 'test' } },
        { value: 'p2', partition: 2 },
        { value: 'p2b', partition: 2 },
      ],
    }).expect(201)).body;
    expect(batch.results).toHaveLength(4);
    expect(batch.results[0].partition).toBe(batch.results[1].partition); // same key, same partition
    expect(BigInt(batch.results[1].offset)).toBe(BigInt(batch.results[0].offset) + 1n);
    expect(batch.results[2]).toEqual({ partition: 2, offset: String(Number(batch.results[2].offset)) });
    expect(BigInt(batch.results[3].offset)).toBe(BigInt(batch.results[2].offset) + 1n);
    const text = (await api().post(`/api/topics/${name}/messages`).set('content-type', 'text/plain').send('line one\nline two\nline three\n').expect(201)).body;
    expect(text.results).toHaveLength(3);
    const zero = (await api().post(`/api/topics/${name}/messages`).send({ acks: 0, messages: [{ value: 'fire-and-forget', partition: 0 }] }).expect(201)).body;
    expect(zero.results).toEqual([{ partition: 0, offset: null }]);

    // Every message the API wrote, read back by kcat from the brokers directly.
    const expected = new Map<string, string>();
    const put = (r: any, v: string) => expected.set(`${r.partition}:${r.offset}`, v);
    put(one.results[0], 'single');
    ['k1', 'k2', 'p2', 'p2b'].forEach((v, i) => put(batch.results[i], v));
    ['line one', 'line two', 'line three'].forEach((v, i) => put(text.results[i], v));
    const out = await waitFor('kcat to read all 9 messages', async () => {
      const o = await kcat(['-C', '-b', bootstrap(), '-t', name, '-o', 'beginning', '-e', '-q', '-f', '%p:%o\t%k\t%s\t%h\n']);
      return o.trim().split('\n').length >= 9 ? o : undefined;
    });
    const got = out.trim().split('\n').map((l) => l.split('\t'));
    const byPos = new Map(got.map(([pos, , value]) => [pos, value]));
    for (const [pos, value] of expected) expect(byPos.get(pos)).toBe(value);
    expect([...byPos.values()]).toContain('fire-and-forget');
    const k2 = got.find((g) => g[2] === 'k2')!;
    expect(k2[1]).toBe('user-7');
    expect(k2[3]).toBe('source=test');
    await waitForEvents('messages.produced, aggregated', mark, (e) => {
      const mine = e.filter((x) => x.type === 'messages.produced' && x.topic === name);
      return mine.reduce((s, x) => s + x.count, 0) === 9 && mine.length < 9;
    });
  });

  it('describes what kcat produced: offsets and key placement agree with Java clients', async () => {
    const name = uniqueName('from-kcat');
    await api().post('/api/topics').send({ name, partitions: 3, replicationFactor: 2 }).expect(201);
    const lines = Array.from({ length: 30 }, (_, i) => `key-${i}:value-${i}`).join('\n') + '\n';
    await kcat(['-P', '-b', bootstrap(), '-t', name, '-K', ':', '-z', 'none', '-X', 'partitioner=murmur2_random'], lines);
    const d = await waitFor('30 messages described', async () => {
      const b = (await api().get(`/api/topics/${name}`).expect(200)).body;
      return b.partitions.reduce((s: number, p: any) => s + Number(p.latestOffset) - Number(p.earliestOffset), 0) === 30 ? b : undefined;
    });
    expect(d.partitions.every((p: any) => p.earliestOffset === '0')).toBe(true);
    // Our partitioner places a key where kcat's murmur2 placed it.
    const mine = (await api().post(`/api/topics/${name}/messages`).send({ messages: [{ key: 'key-3', value: 'again' }] }).expect(201)).body.results[0];
    const out = await kcat(['-C', '-b', bootstrap(), '-t', name, '-o', 'beginning', '-e', '-q', '-f', '%k %p\n']);
    const kcatPartition = out.split('\n').find((l) => l.startsWith('key-3 '))!.split(' ')[1];
    expect(String(mine.partition)).toBe(kcatPartition);
  });

  it('rejects bad produce bodies with sentences', async () => {
    const name = uniqueName('badproduce');
    await api().post('/api/topics').send({ name, partitions: 2, replicationFactor: 1 }).expect(201);
    const cases: Array<[unknown, RegExp]> = [
      [{ messages: [] }, /empty/],
      [{ messages: 'x' }, /array/],
      [{ messages: [{ key: 'k' }] }, /no value/],
      [{ messages: [{ value: 5 }] }, /value must be a string/],
      [{ messages: [{ value: 'v', partition: 7 }] }, /has 2 partitions/],
      [{ messages: [{ value: 'v', partition: -1 }] }, /partition must be/],
      [{ messages: [{ value: 'v', headers: { a: 1 } }] }, /headers\.a must be a string/],
      [{ messages: [{ value: 'v', colour: 'red' }] }, /colour/],
      [{ value: 'v', acks: 2 }, /acks must be/],
    ];
    for (const [body, re] of cases) {
      const r = await api().post(`/api/topics/${name}/messages`).send(body as object).expect(400);
      expect(r.body.message).toMatch(re);
    }
    await api().post('/api/topics/nope-nope/messages').send({ value: 'v' }).expect(404);
  });

  it('answers 503 within seconds, naming what was not written, when partitions lose their leader or ISR', async () => {
    const rf1 = uniqueName('rf1');
    const d = (await api().post('/api/topics').send({ name: rf1, partitions: 3, replicationFactor: 1 }).expect(201)).body;
    const victim = d.partitions[0].leader as number;
    const lost = d.partitions.filter((p: any) => p.leader === victim).map((p: any) => p.partition);
    const kept = d.partitions.filter((p: any) => p.leader !== victim).map((p: any) => p.partition);
    const strict = uniqueName('minisr');
    await api().post('/api/topics').send({ name: strict, partitions: 1, replicationFactor: 2, configs: { 'min.insync.replicas': '2' } }).expect(201);
    const strictReplicas = (await api().get(`/api/topics/${strict}`).expect(200)).body.partitions[0].replicas as number[];
    try {
      await api().post(`/api/cluster/nodes/${victim}/kill`).expect(200);
      // At once, while Kafka still lists the dead broker (and may name it controller): creating works,
      // or says that ONE broker does not answer (retriable), never that the whole cluster is down.
      const rf2 = await api().post('/api/topics').send({ name: uniqueName('after-kill'), partitions: 1, replicationFactor: 2 });
      if (rf2.status !== 201) {
        expect([rf2.status, rf2.body.retriable]).toEqual([503, true]);
        expect(rf2.body.message).not.toMatch(/No broker of the cluster answers/);
      }
      // Once fenced, the RF 1 partitions it held have no leader: the describe still answers, with null.
      const desc = await waitFor('leaderless partitions', async () => {
        const b = (await api().get(`/api/topics/${rf1}`).expect(200)).body;
        return lost.every((p: number) => b.partitions[p].leader === null) ? b : undefined;
      }, 60_000, 200);
      expect(desc.warnings.join(' ')).toMatch(/no leader/);
      expect((await api().get(`/api/topics/${rf1}?format=text`).expect(200)).text).toMatch(/Leader: none/);

      const messages = [...lost.map((p: number) => ({ value: `to-lost-${p}`, partition: p })), ...kept.map((p: number) => ({ value: `to-kept-${p}`, partition: p }))];
      const t0 = Date.now();
      const r = await api().post(`/api/topics/${rf1}/messages`).send({ messages }).expect(503);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(r.body.message).toMatch(/not written|None of the \d+ messages? (was|were) written/);
      expect(r.body.message).toMatch(/no leader/);
      const notWritten = r.body.details.filter((x: any) => x.written === false).map((x: any) => x.index).sort();
      expect(notWritten).toEqual(lost.map((_: number, i: number) => i));
      const written = r.body.details.filter((x: any) => x.written === true);
      expect(written).toHaveLength(kept.length);

      // acks=all on a partition with fewer in-sync replicas than min.insync.replicas.
      if (strictReplicas.includes(victim)) {
        await waitFor('ISR of the strict topic shrunk', async () => {
          const b = (await api().get(`/api/topics/${strict}`).expect(200)).body;
          return b.partitions[0].isr.length === 1 ? b : undefined;
        }, 60_000, 200);
        const t1 = Date.now();
        const r2 = await api().post(`/api/topics/${strict}/messages`).send({ value: 'needs two replicas' }).expect(503);
        expect(Date.now() - t1).toBeLessThan(15_000);
        expect(r2.body.message).toMatch(/in-sync replica/);
        expect((await api().post(`/api/topics/${strict}/messages`).send({ acks: 1, messages: [{ value: 'leader only' }] }).expect(201)).body.results).toHaveLength(1);
      }
    } finally {
      await api().post(`/api/cluster/nodes/${victim}/start`).expect(200);
    }
    // Back: the RF 1 partitions have their leader again and take writes.
    await waitFor('partitions writable again', async () => {
      const res = await api().post(`/api/topics/${rf1}/messages`).send({ messages: lost.map((p: number) => ({ value: 'back', partition: p })) });
      return res.status === 201;
    }, 60_000, 500);
  });
});
