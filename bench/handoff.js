'use strict';
/**
 * handoff: what a group shows when a member goes away WHILE messages flow. Per trial: a topic of 6
 * partitions (RF 3), a group of 3 API consumers (fromBeginning), produce 10 messages every 50 ms
 * (~200 msg/s, each value unique) over HTTP; after 3 s one member is stopped (graceful) or killed
 * (trials alternate), production goes on for the rebalance to finish (stop: 5 s; kill: session
 * timeout + 5 s), then stops; 3 s later every member's kept messages are read back
 * (GET /api/consumers/{id}/messages). Counted over the group: produced values never shown (lost)
 * and values shown more than once (duplicates).
 * Expected: nothing lost ever; no duplicates after a stop (offsets are committed before the member
 * leaves and when the survivors learn of the rebalance); after a kill, duplicates of what the dead
 * member showed but had not committed yet (up to ~250 ms of its share), as with any Kafka consumer.
 */
const h = require('./lib/harness');

const description = 'a member stopped or killed while messages flow: messages lost and shown twice';

async function readAll(server, id) {
  const values = [];
  let after = 0;
  for (;;) {
    const r = await server.api.ok('GET', `/api/consumers/${id}/messages?after=${after}&limit=1000`);
    for (const m of r.messages) values.push(m.value);
    if (r.messages.length === 0) return values;
    after = r.next;
  }
}

async function run(ctx) {
  const trials = Number(process.env.BENCH_HANDOFF_TRIALS || 6);
  const server = await ctx.start({});
  const session = Number(server.env?.LAB_CONSUMER_SESSION_TIMEOUT_MS || 10000);
  const runs = [];
  for (let t = 0; t < trials; t++) {
    const how = t % 2 === 0 ? 'stop' : 'kill';
    const topic = `bench-handoff-${t}`;
    await h.createTopic(server, topic, 6, 3);
    await h.waitFullIsr(server, topic, 3);
    const groupId = `bench-handoff-${t}`;
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await server.api.ok('POST', '/api/consumers', { topics: [topic], groupId, fromBeginning: true, name: `handoff-${t}-${i}` })).id);
    await h.waitFor('the group to settle', async () => {
      const cs = await Promise.all(ids.map((id) => server.api.ok('GET', `/api/consumers/${id}`)));
      return cs.every((c) => c.state === 'running' && c.assignment.reduce((n, a) => n + a.partitions.length, 0) === 2);
    }, 60_000);
    let n = 0;
    let produceErrors = 0;
    let flowing = true;
    const producer = (async () => {
      while (flowing) {
        const messages = Array.from({ length: 10 }, () => ({ value: `t${t}-v${n++}` }));
        const r = await server.api.post(`/api/topics/${topic}/messages`, JSON.stringify({ messages }), { contentType: 'application/json' });
        if (r.status !== 201) produceErrors++;
        await h.sleep(50);
      }
    })();
    await h.sleep(3000);
    await server.api.ok('POST', `/api/consumers/${ids[2]}/${how}`);
    await h.sleep(how === 'stop' ? 5000 : session + 5000);
    flowing = false;
    await producer;
    await h.sleep(3000);
    const counts = new Map();
    for (const id of ids) for (const v of await readAll(server, id)) counts.set(v, (counts.get(v) || 0) + 1);
    const lost = Array.from({ length: n }, (_, i) => `t${t}-v${i}`).filter((v) => !counts.has(v)).length;
    const duplicates = [...counts.values()].filter((c) => c > 1).length;
    runs.push({ trial: t, how, produced: n, produceErrors, shown: counts.size, lost, duplicates });
    ctx.log(`trial ${t} (${how}): produced ${n}, lost ${lost}, shown twice ${duplicates}`);
    for (const id of ids) await server.api.del(`/api/consumers/${id}`);
  }
  const of = (how) => runs.filter((r) => r.how === how);
  const sum = (rs, k) => rs.reduce((s, r) => s + r[k], 0);
  return {
    metrics: [
      h.metric('messages lost (all trials)', sum(runs, 'lost'), 'msgs', `${trials} trials, ~200 msg/s, 3 members of one group, 6 partitions RF 3`, '<= 0'),
      h.metric('shown twice after a graceful stop', sum(of('stop'), 'duplicates'), 'msgs', `summed over ${of('stop').length} trials (${sum(of('stop'), 'produced')} messages)`, '<= 0'),
      h.metric('shown twice after a kill', sum(of('kill'), 'duplicates'), 'msgs', `summed over ${of('kill').length} trials (${sum(of('kill'), 'produced')} messages): what the dead member showed but had not committed`),
    ],
    details: { sessionTimeoutMs: session, runs },
  };
}

module.exports = { description, run };
