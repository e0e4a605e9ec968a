'use strict';
/**
 * `klab consume`: one consumer on the lab server, followed live and printed like `kcat -C`: records on
 * stdout, its story (rebalances, share redeliveries, crashes) as `% ` notices on stderr. A manual share
 * consumer (`--protocol share --ack manual`) takes acknowledgement commands on stdin, one a line.
 */
const readline = require('node:readline');
const { consumeMode } = require('../lib/args');
const { seg } = require('../lib/api');
const { connectLab } = require('../lib/live');
const fmt = require('../lib/format');
const acks = require('../lib/ack');
const { text: shared } = require('../../lib/lab-client');
const { notice, need } = require('../lib/io');

/** How long a piped command waits for a record it names to arrive; a terminal's is answered at once. */
const PIPED_WAIT_MS = 30000;

/** What a message is printed as: --json, -f, or the default (the value; `partition:offset value` for share). */
function messageRenderer(opts, mode) {
  if (opts.json) return (m) => JSON.stringify(m) + '\n';
  if (opts.format) return fmt.compileFormat(opts.format);
  return mode.protocol === 'share' ? fmt.shareLine : fmt.compileFormat('%s\n');
}

async function cmdConsume(ctx, [topic]) {
  const { api, opts } = ctx;
  need(topic, 'topic');
  // Check the options and compile the format first: a mistake should fail before a consumer exists.
  const mode = consumeMode(opts);
  const render = messageRenderer(opts, mode);
  const manual = mode.ack === 'manual';
  const link = await connectLab(ctx.server, ctx.token);

  let consumer; // set once created
  let received = 0;
  let exiting = false;
  const held = new acks.HeldRecords();
  const own = new acks.OwnAcks();

  const finish = async (how, code) => {
    if (exiting) return;
    exiting = true;
    try {
      if (consumer && how) {
        await api.post(`/consumers/${seg(consumer.id)}/${how}`);
        notice(`Consumer ${consumer.id} ${how === 'kill' ? 'killed without leaving its group' : 'stopped and left its group'} (${received} message(s) received)`);
      }
      if (manual && held.size) notice(`${held.size} record(s) were left unacknowledged: the share group hands them out again when their lock runs out`);
    } catch (e) {
      notice(`ERROR: ${e.message}`);
      code = 1;
    }
    link.close();
    process.stdout.write('', () => process.exit(code));
  };
  let interrupted = false; // Ctrl-C while the consumer was being created: stop it as soon as it exists
  const onSignal = () => {
    if (exiting) return process.exit(130);
    if (!consumer) return void (interrupted = true);
    finish(opts.killOnExit ? 'kill' : 'stop', 0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stdout.on('error', () => finish('stop', 0)); // `klab consume t | head -3`

  // The consumer subscription carries its whole story (start, rebalances, acknowledgements,
  // redeliveries, stop, crash) and its messages, from its creation on. A share consumer also follows
  // its group for share.archived, which names no consumer. An event may come on two subscriptions
  // (and as `event` and `rebalance`): each is printed once.
  const printed = new Set();
  const onEvent = (ev) => {
    if (!consumer || printed.has(ev.seq)) return;
    if (ev.type === 'share.archived' && ev.groupId === consumer.groupId) {
      printed.add(ev.seq);
      held.remove(ev.topic, ev.partition, [ev.offset]);
      return notice(fmt.shareNotice(ev).slice(2));
    }
    if (ev.consumerId !== consumer.id) return;
    printed.add(ev.seq);
    if (ev.type === 'group.rebalanced') return notice(fmt.rebalanceLine(ev).slice(2));
    if (ev.type === 'share.redelivered') return notice(fmt.shareNotice(ev).slice(2));
    if (ev.type === 'share.acknowledged') {
      // An auto consumer accepts every record: no news. A manual one hears of acknowledgements made
      // elsewhere (the web page, `klab ack`); its own were printed from the answer.
      if (!manual || own.claims(shared.ackKindOf(ev), ev)) return;
      held.remove(ev.topic, ev.partition, ev.offsets);
      return notice(`${fmt.shareNotice(ev).slice(2)} (acknowledged elsewhere)`);
    }
    // The server supervises its consumers: a crash is followed by a recovery, so say it and go on.
    if (ev.type === 'consumer.crashed') return notice(`consumer ${consumer.id} crashed${ev.reason ? ` (${ev.reason})` : ''}; the server is restarting it`);
    if (ev.type === 'consumer.recovered') return notice(`consumer ${consumer.id} recovered`);
    if (['consumer.stopped', 'consumer.killed'].includes(ev.type) && !exiting) {
      notice(`consumer ${consumer.id} ${ev.type.slice(9)}`);
      finish(null, 0);
    }
  };
  link.on('event', onEvent);
  link.on('rebalance', (ev) => onEvent({ type: 'group.rebalanced', ...ev }));
  link.on('message', (m) => {
    if (!consumer || m.consumerId !== consumer.id) return;
    received++;
    if (manual) held.add(m);
    process.stdout.write(render(m));
  });
  link.on('notice', notice);
  link.on('fatal', (e) => { notice(`ERROR: ${e.message}`); finish('stop', 1); });

  consumer = await api.post('/consumers', {
    topics: [topic],
    groupId: opts.group,
    fromBeginning: Boolean(opts.fromBeginning),
    name: opts.name,
    ...mode,
  });
  const kind = mode.protocol && mode.protocol !== 'classic' ? `, ${fmt.protocolText({ protocol: mode.protocol, ack: mode.ack })} protocol` : '';
  notice(`Consumer ${consumer.id} started: group ${consumer.groupId}, topic ${topic}${kind}${opts.fromBeginning ? ', from the beginning' : ''}`);
  if (interrupted) return finish(opts.killOnExit ? 'kill' : 'stop', 0);
  try {
    await link.follow({ consumer: consumer.id });
  } catch (e) {
    notice(`ERROR: ${e.message}`);
    return finish('stop', 1);
  }
  // Archived records name only their group; without that subscription the consumer still works.
  if (mode.protocol === 'share') await link.follow({ group: consumer.groupId }).catch((e) => notice(`archived records will not be shown: ${e.message}`));
  if (manual) readAckCommands({ api, consumer, held, own, interactive: Boolean(process.stdin.isTTY) });
  await new Promise(() => {}); // runs until a signal or the consumer ends
}

/**
 * Reads acknowledgement commands from stdin, one a line, run one after another. From a terminal a
 * record not held is an error at once; from a pipe (a script typed ahead) the command waits up to
 * PIPED_WAIT_MS for the record to be delivered.
 */
function readAckCommands({ api, consumer, held, own, interactive }) {
  notice(`Manual acknowledgement: type "r 5" to release offset 5, "a 5" to accept, "x 5" to reject; ${acks.COMMAND_HELP}`);
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  let chain = Promise.resolve();
  rl.on('line', (line) => {
    chain = chain.then(() => runCommand(line)).catch((e) => notice(`ERROR: ${e.message}`));
  });
  // Ctrl-D at a terminal: the consumer goes on; what it holds can still be acknowledged elsewhere.
  if (interactive) rl.on('close', () => notice(`no more commands from this terminal; acknowledge with klab ack ${consumer.id} <accept|release|reject> <records>, Ctrl-C stops`));

  async function runCommand(line) {
    const cmd = acks.parseCommand(line);
    if (!cmd) return;
    if (cmd.action === 'help') return notice(acks.COMMAND_HELP);
    if (cmd.action === 'list') return held.describe().forEach((l) => notice(l));
    let found = acks.resolveTargets(cmd.targets, held, { heldOnly: true });
    if (found.missing.length && !interactive) found = await waitForRecords(cmd.targets, found);
    if (found.missing.length) {
      notice(`ERROR: this consumer holds no record at ${found.missing.join(', ')} (l lists the records it holds)`);
    }
    if (!found.records.length) return cmd.targets.some((t) => t.all) ? notice('no records held') : undefined;
    // Which delivery of each record is acknowledged: a released one may come back before the answer.
    const deliveries = new Map(found.records.map((r) => [`${r.topic}\u0000${r.partition}`, new Map()]));
    for (const r of found.records) deliveries.get(`${r.topic}\u0000${r.partition}`).set(r.offset, (held.get(r.topic, r.partition, r.offset) || {}).deliveryCount);
    own.mark(cmd.type, found.records);
    const res = await api.acknowledge(consumer.id, acks.toAcks(cmd.type, found.records));
    for (const r of (res && res.results) || []) {
      if (!r.error) held.remove(r.topic, r.partition, r.offsets, deliveries.get(`${r.topic}\u0000${r.partition}`));
      notice(fmt.ackResultLine(r).slice(2));
    }
  }

  /** Re-resolves the command on every delivery until nothing is missing or the wait is over. */
  function waitForRecords(targets, first) {
    notice(`waiting up to ${PIPED_WAIT_MS / 1000} s for ${first.missing.join(', ')} to be delivered`);
    return new Promise((resolve) => {
      let found = first;
      const done = () => { clearTimeout(timer); stop(); resolve(found); };
      const timer = setTimeout(done, PIPED_WAIT_MS);
      const stop = held.onAdd(() => {
        found = acks.resolveTargets(targets, held, { heldOnly: true });
        if (!found.missing.length) done();
      });
    });
  }
}

module.exports = { cmdConsume, messageRenderer };
