'use strict';
/**
 * `klab ack <consumer> accept|release|reject <records>`: acknowledges records a manual share consumer
 * holds, from any terminal (the one running `klab consume` may be busy printing). One call of
 * POST /api/consumers/{id}/acknowledge; one line per partition of the answer.
 */
const { UsageError } = require('../lib/args');
const { seg } = require('../lib/api');
const fmt = require('../lib/format');
const acks = require('../lib/ack');
const { text: shared } = require('../../lib/lab-client');
const { notice, print, need } = require('../lib/io');

async function cmdAck(ctx, [id, verb, ...specs]) {
  const { api, opts } = ctx;
  need(id, 'consumer id');
  const type = acks.parseVerb(need(verb, 'what to do: accept, release or reject'));
  if (!specs.length) throw new UsageError('name the records: <topic>:<partition>:<offset> (or <partition>:<offset>, <offset>, ranges 3-7)');
  const targets = specs.flatMap((s) => s.split(',')).filter(Boolean).map(acks.parseTarget);
  if (targets.some((t) => t.all)) throw new UsageError('"all" works inside klab consume --ack manual, which knows the records it holds; here name them');

  // A spec without its topic (or partition) borrows the consumer's only topic (and only partition).
  let defaults = {};
  if (targets.some((t) => t.topic === undefined)) {
    const c = await api.get(`/consumers/${seg(id)}`);
    const topics = c.topics || [];
    if (topics.length === 1) {
      const assigned = (c.assignment || []).filter((a) => a.topic === topics[0]).flatMap((a) => a.partitions || []);
      defaults = { defaultTopic: topics[0], partitions: [...new Set(assigned)] };
    }
  }
  const { records, missing } = acks.resolveTargets(targets, null, defaults);
  if (missing.length) {
    throw new UsageError(`${missing.join(', ')} does not say which partition: write <partition>:<offset> or <topic>:<partition>:<offset>`);
  }
  const res = await api.acknowledge(id, acks.toAcks(type, records));
  const results = (res && res.results) || [];
  if (opts.json) await print(JSON.stringify(res, null, 2));
  else {
    const done = results.filter((r) => !r.error);
    if (done.length) await print(done.map((r) => shared.ackResultText(r)).join('\n'));
    results.filter((r) => r.error).forEach((r) => notice(fmt.ackResultLine(r).slice(2)));
  }
  return results.some((r) => r.error) ? 1 : 0;
}

module.exports = { cmdAck };
