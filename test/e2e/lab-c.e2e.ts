import type { Socket } from 'socket.io-client';
import { api, uniqueName, waitFor } from '../support/lab';
import { connect, subscribe } from '../support/socket';

/**
 * Lab C, broker failover, as a student watches it: consumers run, a leader broker is stopped and later
 * killed; the leader elections and ISR changes arrive over the socket as they happen, and messages
 * produced after each failure still reach the consumers. The producer is never told about the dead broker.
 */
describe('Lab C: broker failover while consumers run', () => {
  let socket: Socket;
  const events: any[] = [];
  const messages: any[] = [];
  const consumers: string[] = [];
  let topic: string;

  const describeTopic = async () => (await api().get(`/api/topics/${topic}`).expect(200)).body;
  const produceAll = async (prefix: string) => {
    const values = [0, 1, 2].map((p) => `${prefix}-p${p}`);
    await api().post(`/api/topics/${topic}/messages`).send({ messages: values.map((value, p) => ({ value, partition: p })) }).expect(201);
    return values;
  };
  const consumed = (values: string[]) =>
    waitFor(`the consumers to receive ${values.join(', ')}`, () => values.every((v) => messages.some((m) => m.value === v)), 60_000, 100);
  const socketEvent = (what: string, pred: (e: any) => boolean, timeoutMs = 60_000) =>
    waitFor(what, () => events.find(pred), timeoutMs, 50);

  beforeAll(async () => {
    topic = uniqueName('failsafe-test-topic');
    await api().post('/api/topics').send({ name: topic, partitions: 3, replicationFactor: 3 }).expect(201);
    socket = await connect();
    socket.on('event', (e) => events.push(e));
    socket.on('message', (m) => messages.push(m));
    await subscribe(socket, { events: true });
    const group = uniqueName('test-group');
    for (const name of ['c1', 'c2']) {
      const c = (await api().post('/api/consumers').send({ topics: [topic], groupId: group, name, fromBeginning: true }).expect(201)).body;
      consumers.push(c.id);
      await subscribe(socket, { consumer: c.id });
    }
  });

  afterAll(async () => {
    socket?.close();
    await Promise.all(consumers.map((id) => api().delete(`/api/consumers/${id}`)));
    const c = (await api().get('/api/cluster').expect(200)).body;
    for (const b of c.brokers) if (b.state !== 'running') await api().post(`/api/cluster/nodes/${b.id}/start`);
  });

  it('shows leaders and ISRs, and the elections and ISR changes of a stopped and a killed leader as they happen', async () => {
    const before = await describeTopic();
    expect(new Set(before.partitions.map((p: any) => p.leader)).size).toBe(3);
    await consumed(await produceAll('m-before'));

    // A graceful stop of the broker leading partition 0.
    const stopped = before.partitions[0].leader as number;
    const sinceStop = events.length;
    await api().post(`/api/cluster/nodes/${stopped}/stop`).expect(200);
    await socketEvent('leader-changed over the socket after the stop', (e) =>
      events.indexOf(e) >= sinceStop && e.type === 'partition.leader-changed' && e.topic === topic && e.partition === 0 && e.from === stopped && e.to !== null);
    await socketEvent('isr-changed over the socket after the stop', (e) =>
      events.indexOf(e) >= sinceStop && e.type === 'partition.isr-changed' && e.topic === topic && !e.isr.includes(stopped));
    await socketEvent('node.stopped over the socket', (e) => e.type === 'node.stopped' && e.nodeId === stopped);
    const during = await describeTopic();
    expect(during.partitions.every((p: any) => p.leader !== stopped && !p.isr.includes(stopped))).toBe(true);
    // m15, m16: written without telling anyone about the dead broker, and consumed.
    await consumed(await produceAll('m15'));

    const sinceStart = events.length;
    await api().post(`/api/cluster/nodes/${stopped}/start`).expect(200);
    await socketEvent('the restarted broker back in an ISR', (e) =>
      events.indexOf(e) >= sinceStart && e.type === 'partition.isr-changed' && e.topic === topic && e.isr.includes(stopped) && !e.previous.includes(stopped), 90_000);
    await waitFor('every replica in sync again', async () => (await describeTopic()).partitions.every((p: any) => p.isr.length === 3), 90_000, 250);
    const elected = (await api().post(`/api/topics/${topic}/elect-leaders`).expect(200)).body;
    expect(elected.partitions.map((p: any) => p.leader)).toEqual(elected.partitions.map((p: any) => p.replicas[0]));

    // A kill (no controlled shutdown) of the broker leading partition 1: Kafka notices at the fencing timeout.
    const killed = elected.partitions[1].leader as number;
    const sinceKill = events.length;
    await api().post(`/api/cluster/nodes/${killed}/kill`).expect(200);
    await socketEvent('node.killed over the socket', (e) => e.type === 'node.killed' && e.nodeId === killed);
    await socketEvent('leader-changed over the socket after the kill', (e) =>
      events.indexOf(e) >= sinceKill && e.type === 'partition.leader-changed' && e.topic === topic && e.partition === 1 && e.from === killed);
    await consumed(await produceAll('m16'));
    await api().post(`/api/cluster/nodes/${killed}/start`).expect(200);
    await waitFor('every replica in sync again', async () => (await describeTopic()).partitions.every((p: any) => p.isr.length === 3), 90_000, 250);
  });
});
