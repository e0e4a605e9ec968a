import * as fs from 'node:fs';
import * as path from 'node:path';
import { eventMark, waitForEvents } from '../support/events';
import { ConsumerBody, consumerView, createTopic, messagesOf, startConsumer } from '../support/consumers';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';

/**
 * The consumer-protocol and share members the server runs in its client-host JVM are supervised like
 * its kafkajs consumers: the JVM killed from outside gives consumer.crashed for each, then a new member
 * with the same consumer id (consumer.recovered), and they read on.
 */

function hostPid(): number {
  return Number(fs.readFileSync(path.join(sharedLab().dataDir, 'client-host', 'pid'), 'utf8').trim());
}

describe('hosted consumers survive their JVM', () => {
  const started: string[] = [];
  afterAll(async () => {
    await Promise.all(started.map((id) => api().delete(`/api/consumers/${id}`)));
  });

  it('the client host killed from outside: consumer.crashed, then consumer.recovered with the same ids, and they read on', async () => {
    const topic = await createTopic('hosted', 3);
    const kip848 = await startConsumer({ topic, groupId: uniqueName('recover-consumer'), protocol: 'consumer', fromBeginning: true });
    const share = await startConsumer({ topic, groupId: uniqueName('recover-share'), protocol: 'share', fromBeginning: true });
    const ids = [kip848.id, share.id];
    started.push(...ids);
    const produce = async (prefix: string) => {
      const r = await api().post(`/api/topics/${topic}/messages`).send({ messages: [0, 1, 2].map((p) => ({ value: `${prefix}-${p}`, partition: p })) });
      expect(r.status).toBe(201);
    };
    await produce('before');
    for (const id of ids) await waitFor(`${id} to read the first messages`, async () => (await messagesOf(id)).length >= 3);

    const pid = hostPid();
    const mark = await eventMark();
    process.kill(pid, 'SIGKILL');
    await waitForEvents('consumer.crashed for both', mark, (evs) => ids.every((id) => evs.some((e) => e.type === 'consumer.crashed' && e.consumerId === id)));
    const evs = await waitForEvents('consumer.recovered for both', mark, (evs) => ids.every((id) => evs.some((e) => e.type === 'consumer.recovered' && e.consumerId === id)), 60_000);
    const crash = evs.find((e) => e.type === 'consumer.crashed' && e.consumerId === kip848.id)!;
    expect(crash.reason).toContain(String(pid));
    // What the dead member owned is revoked on the timeline before the new member's assignment.
    expect(evs.some((e) => e.type === 'group.rebalanced' && e.consumerId === kip848.id && e.revoked.length > 0)).toBe(true);
    expect(hostPid()).not.toBe(pid);

    const views: ConsumerBody[] = await waitFor('both running again', async () => {
      const vs = await Promise.all(ids.map(consumerView));
      return vs.every((v) => v.state === 'running') && vs;
    });
    expect(views.map((v) => v.id)).toEqual(ids);
    await produce('after');
    for (const id of ids) {
      await waitFor(`${id} to read after the recovery`, async () => (await messagesOf(id)).filter((m) => m.value?.startsWith('after-')).length === 3);
      // The consumer-protocol member starts again from its last commit: nothing it showed is shown twice.
      if (id === kip848.id) expect((await messagesOf(id)).filter((m) => m.value?.startsWith('before-'))).toHaveLength(3);
    }
  });
});
