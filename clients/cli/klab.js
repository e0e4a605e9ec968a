#!/usr/bin/env node
'use strict';
/**
 * klab — the kafka-lab command line. Every command is one call to the lab server (or one socket.io
 * stream), printed like kcat prints: human text on stdout, `% ` notices and errors on stderr, `--json`
 * for scripts. The server does the Kafka work; this file only asks and shows.
 */
const readline = require('node:readline');
const { parseArgs, keyValues, UsageError } = require('./lib/args');
const { LabApi, ApiError, resolveServer, resolveToken, seg } = require('./lib/api');
const { connectLab, SeqStream } = require('./lib/live');
const fmt = require('./lib/format');
const { notice, print, show, need } = require('./lib/io');
const { cmdConsume } = require('./commands/consume');
const { cmdAck } = require('./commands/ack');
const { cmdJoin, cmdLogin, cmdStudents, cmdClass } = require('./commands/class');
const { cmdLab, cmdGrading } = require('./commands/grading');
const { cmdKafka } = require('./commands/kafka');

const USAGE = `Usage: klab <command> [options]

Cluster
  klab cluster                                   status of every node
  klab cluster start|stop|reset [--brokers N] [--controllers N] [--no-wait]
  klab broker add                                start one more broker (scale out)
  klab node stop|kill|pause|resume|start <id>    one node: graceful stop, SIGKILL, freeze, thaw, start
Topics
  klab topics [--internal]
  klab topic create <name> -p <partitions> -r <replication factor> [-c name=value ...]
  klab topic describe <name>                     like kafka-topics.sh --describe
  klab topic delete <name>
  klab topic elect <name>                        preferred leader election
Messages
  klab produce <topic> [-k key] [-p partition] [-H name=value] [--acks -1|0|1] [value ...]
                                                 no values: one message per stdin line (like kcat -P)
  klab consume <topic> [-G group] [-b|--from-beginning] [-f format] [--name n] [--kill-on-exit]
               [--protocol classic|consumer|share] [--ack auto|manual]
                                                 Ctrl-C leaves the group cleanly (--kill-on-exit: crash)
      --protocol classic   (default) eager rebalances: every member is revoked everything
      --protocol consumer  KIP-848: the broker assigns; only the partitions that move are revoked,
                           one member epoch at a time (the rebalance lines show the epoch)
      --protocol share     a share group (KIP-932): members share even one partition record by record;
                           lines are partition:offset value, "(delivery N)" when a record comes back
      --ack manual         (share) acknowledge each record yourself, one command a line on stdin
                           (typed, or piped from a script):
                             r 5   release offset 5 (it comes back, its delivery count grows)
                             a 5   accept it          x 5   reject it (never delivered again)
                             records: 5  0:5 (partition:offset)  jobs:0:5  3-7  all
                             l     list the records held     ?   this help
                           unacknowledged records come back when their lock runs out
  klab ack <consumer> accept|release|reject <topic>:<partition>:<offset> ...
                                                 acknowledge for a manual share consumer from any
                                                 terminal (<partition>:<offset> when it reads one topic)
  klab consumers | klab consumer stop|kill|rm <id>
  klab groups | klab group <groupId>
Timeline
  klab events [--follow] [--types a,b] [--limit N]
                                                 e.g. --types messages.consumed (what each consumer
                                                 received, offsets per partition), checkpoint.passed
The class
  klab join <code> <name>                        join the class: your token is saved in ~/.klab-token,
                                                 the server in ~/.klab-server (later commands use them)
  klab login <token>                             save a token the instructor gave you, the same way
  klab me                                        who this token is
  klab kafka                                     your own Kafka clients (kcat, kafka-console-*.sh) on the
                                                 class listener: servers, user, password, your prefix,
                                                 a kcat line and a client.properties
  klab kafka kcat|properties|ca                  only that part: the kcat line, client.properties
                                                 (> client.properties), the CA certificate (> ca.pem)
  klab students                                  the roster (instructor): last seen, consumers, topics
  klab students add <name>...                    add students (no names: one per stdin line); prints
                                                 each one's token, shown only this once
  klab students rm <id|name> [--purge]           remove: token dead, consumers stopped (--purge: topics too)
  klab students token <id|name>                  a new token for a student who lost theirs
  klab class                                     join code, joining open, broker control, quotas
  klab class set key=value ...                   joinOpen=false, studentsMayControlBrokers=true, rotate
                                                 (a new join code), joinCode=CODE, quotas.topics=5 ...
The labs and grading (checkpoints are computed by the server from the timeline, never self-reported)
  klab lab list                                  Labs A to G: title, Kafka version, checkpoints,
                                                 how many of them you passed
  klab lab show <A-G>                            the lab's steps: what to do, what to watch for, the
                                                 API call and the klab line; ✓ the step's checkpoint
                                                 passed, · not yet
  klab lab check [<A-G>]                         your checkpoints (of that lab): passed when, and the
                                                 evidence; the instructor: every student's
  klab grading [<student id or name>]            the instructor: students × checkpoints (✓ passed);
                                                 one student: each checkpoint with its evidence (the
                                                 event seqs, consumers and a summary); a student:
                                                 their own
  klab grading --csv                             the class as CSV (student,name,<checkpoint ids>,
                                                 true/false), as the server writes it: > grades.csv

Options
  --server URL   lab server (KLAB_SERVER, or the one klab join saved, default http://127.0.0.1:8080)
  --token T      your token (KLAB_TOKEN, or the file ~/.klab-token)
  --json, -J     machine-readable output (one JSON document, or one per line for streams)
  -f FORMAT      kcat tokens for consumed messages: %t topic %p partition %o offset %k key %s value
                 %T timestamp (ms) %h headers %K/%S key/value size, %d delivery count (share
                 groups; -1 otherwise), \\n \\t (default '%s\\n'; share: '%p:%o\\t%s')
`;

// ---------------------------------------------------------------------------------------------- cluster

async function cmdCluster(ctx, [action]) {
  if (!action || action === 'status') return show(ctx, await ctx.api.get('/cluster'), fmt.renderCluster);
  if (!['start', 'stop', 'reset'].includes(action)) throw new UsageError(`unknown cluster action "${action}" (start, stop, reset)`);
  const body = action === 'stop' ? undefined : { brokers: ctx.opts.brokers, controllers: ctx.opts.controllers };
  if (action !== 'stop') notice(`${action === 'start' ? 'Starting' : 'Resetting'} the cluster; this waits until every broker is registered`);
  const res = await ctx.api.post(`/cluster/${action}`, body, ctx.opts.noWait ? { wait: 'false' } : undefined);
  return showClusterOrNode(ctx, res || (await ctx.api.get('/cluster')));
}

/** Node routes may answer the node or the whole cluster; show whichever came back. */
function showClusterOrNode(ctx, body) {
  return show(ctx, body, (b) => (b && (b.brokers || b.controllers) ? fmt.renderCluster(b) : b && b.id !== undefined ? fmt.renderNode(b) : 'ok'));
}

async function cmdBroker(ctx, [action]) {
  if (action !== 'add') throw new UsageError('usage: klab broker add');
  notice('Starting one more broker; this waits until it is registered');
  return showClusterOrNode(ctx, await ctx.api.post('/cluster/brokers', {}, ctx.opts.noWait ? { wait: 'false' } : undefined));
}

async function cmdNode(ctx, [action, id]) {
  if (!['stop', 'kill', 'pause', 'resume', 'start'].includes(action)) throw new UsageError('usage: klab node stop|kill|pause|resume|start <id>');
  need(id, 'node id');
  return showClusterOrNode(ctx, await ctx.api.post(`/cluster/nodes/${seg(id)}/${action}`, undefined, ctx.opts.noWait ? { wait: 'false' } : undefined));
}

// ----------------------------------------------------------------------------------------------- topics

async function cmdTopics(ctx) {
  const topics = await ctx.api.get('/topics', ctx.opts.internal ? { internal: 'true' } : undefined);
  return show(ctx, topics, (t) => (t.length ? fmt.renderTopics(t) : '(no topics)'));
}

async function cmdTopic(ctx, [action, name]) {
  const { api, opts } = ctx;
  switch (action) {
    case 'create': {
      const body = {
        name: need(name, 'topic name'),
        partitions: need(opts.p, 'partition count (-p N)'),
        replicationFactor: need(opts.replicationFactor, 'replication factor (-r N)'),
      };
      if (opts.config) body.configs = keyValues(opts.config, 'config');
      const desc = await api.post('/topics', body);
      if (!opts.json) notice(`Created topic ${name}`);
      return show(ctx, desc, fmt.renderDescription);
    }
    case 'describe':
      need(name, 'topic name');
      if (opts.json) return show(ctx, await api.get(`/topics/${seg(name)}`));
      return print(await api.get(`/topics/${seg(name)}`, { format: 'text' }));
    case 'delete':
      await api.delete(`/topics/${seg(need(name, 'topic name'))}`);
      return opts.json ? print(JSON.stringify({ deleted: name })) : notice(`Deleted topic ${name}`);
    case 'elect':
      return show(ctx, await api.post(`/topics/${seg(need(name, 'topic name'))}/elect-leaders`), fmt.renderDescription);
    default:
      throw new UsageError('usage: klab topic create|describe|delete|elect <name>');
  }
}

// -------------------------------------------------------------------------------------------- produce

async function cmdProduce(ctx, [topic, ...values]) {
  const { api, opts } = ctx;
  need(topic, 'topic');
  const headers = opts.header ? keyValues(opts.header, 'header') : undefined;
  // text/plain carries bare lines only; anything more (key, partition, headers, acks) goes as JSON.
  const plain = opts.key === undefined && opts.p === undefined && !headers && opts.acks === undefined;
  const toMessage = (value) => ({ value, key: opts.key, partition: opts.p, headers });
  const route = `/topics/${seg(topic)}/messages`;
  const send = async (lines) => {
    const res = plain
      ? await api.request('POST', route, { text: lines.join('\n') })
      : await api.post(route, { messages: lines.map(toMessage), acks: opts.acks });
    if (opts.json) await print((res.results || []).map((r) => JSON.stringify(r)).join('\n'));
    else notice(fmt.produceSummary(topic, res.results).slice(2));
  };

  if (values.length) return send(values);

  // No values: stdin, one message per line, sent in batches as they come (kcat -P).
  if (process.stdin.isTTY) notice(`Type one message per line for ${topic}; Ctrl-D ends`);
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  let batch = [];
  let chain = Promise.resolve();
  let failure;
  const flush = () => {
    if (!batch.length) return;
    const lines = batch;
    batch = [];
    chain = chain.then(() => (failure ? undefined : send(lines).catch((e) => { failure = e; rl.close(); })));
  };
  let scheduled = false;
  rl.on('line', (line) => {
    if (line === '' && plain) return; // an empty line would be an empty message; kcat skips it too
    batch.push(line);
    if (batch.length >= 500) flush();
    // Lines of one chunk of input go in one request; an interactive line goes at once.
    else if (!scheduled) { scheduled = true; setImmediate(() => { scheduled = false; flush(); }); }
  });
  await new Promise((resolve) => rl.once('close', resolve));
  flush();
  await chain;
  if (failure) throw failure;
}

// -------------------------------------------------------------------------------------------- consume

async function cmdConsumers(ctx) {
  return show(ctx, await ctx.api.get('/consumers'), (cs) => (cs.length ? fmt.renderConsumers(cs) : '(no consumers)'));
}

async function cmdConsumer(ctx, [action, id]) {
  const routes = { stop: ['POST', 'stop'], kill: ['POST', 'kill'], rm: ['DELETE', ''], show: ['GET', ''] };
  if (!routes[action]) throw new UsageError('usage: klab consumer stop|kill|rm|show <id>');
  const [method, verb] = routes[action];
  const res = await ctx.api.request(method, `/consumers/${seg(need(id, 'consumer id'))}${verb ? '/' + verb : ''}`);
  if (action === 'rm') return ctx.opts.json ? print(JSON.stringify({ deleted: id })) : notice(`Consumer ${id} removed`);
  return show(ctx, res || (await ctx.api.get(`/consumers/${seg(id)}`)), (c) => fmt.renderConsumers([c]));
}

async function cmdGroups(ctx) {
  return show(ctx, await ctx.api.get('/groups'), (gs) => (gs.length ? fmt.renderGroups(gs) : '(no groups)'));
}

async function cmdGroup(ctx, [id]) {
  return show(ctx, await ctx.api.get(`/groups/${seg(need(id, 'group id'))}`), fmt.renderGroup);
}

// ------------------------------------------------------------------------------------- timeline, class

async function cmdEvents(ctx) {
  const { api, opts } = ctx;
  const types = opts.types ? opts.types.split(',').map((t) => t.trim()).filter(Boolean) : null;
  const page = async (after) => {
    const res = await api.get('/events', { after, types: types ? types.join(',') : undefined });
    return { items: res.events || [], next: res.next };
  };

  if (!opts.follow) {
    const all = [];
    await new SeqStream((e) => all.push(e)).backfill(page);
    const shown = opts.limit ? all.slice(-opts.limit) : all;
    if (opts.json) return print(JSON.stringify(shown, null, 2));
    return print(shown.length ? shown.map(fmt.eventLine).join('\n') : '(no events)');
  }

  const line = (e) => process.stdout.write((opts.json ? JSON.stringify(e) : fmt.eventLine(e)) + '\n');
  const stream = new SeqStream((e) => { if (!types || types.includes(e.type)) line(e); });
  const link = await connectLab(ctx.server, ctx.token);
  link.on('event', (e) => stream.push(e));
  link.on('notice', notice);
  link.on('fatal', (e) => { notice(`ERROR: ${e.message}`); process.exit(1); });
  process.on('SIGINT', () => { link.close(); process.exit(0); });
  // What is stored comes page by page over HTTP (any amount); the subscription goes on from the last
  // one, and after a reconnect from the last event the link got.
  await stream.backfill(page);
  await link.follow({ events: true, after: stream.last });
  if (!opts.json) notice('Following the timeline; Ctrl-C stops');
  await new Promise(() => {});
}

async function cmdMe(ctx) {
  return show(ctx, await ctx.api.get('/me'), (me) => `${me.name} (${me.role}, id ${me.id}) on ${ctx.server}`);
}

const COMMANDS = {
  cluster: cmdCluster, broker: cmdBroker, node: cmdNode,
  topics: cmdTopics, topic: cmdTopic,
  produce: cmdProduce, consume: cmdConsume, ack: cmdAck,
  consumers: cmdConsumers, consumer: cmdConsumer, groups: cmdGroups, group: cmdGroup,
  events: cmdEvents, me: cmdMe, kafka: cmdKafka, lab: cmdLab, grading: cmdGrading,
  join: cmdJoin, login: cmdLogin, students: cmdStudents, class: cmdClass,
};

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`% ERROR: ${e.message}\n\n${USAGE}`);
    return 1;
  }
  const { words, opts } = parsed;
  const [name, ...rest] = words;
  if (name === 'help' || opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!name) {
    process.stderr.write(USAGE);
    return 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`% ERROR: unknown command "${name}"\n\n${USAGE}`);
    return 1;
  }
  const server = resolveServer(opts);
  const token = resolveToken(opts);
  const ctx = { opts, server, token, api: new LabApi(server, token) };
  try {
    // A command may answer its own exit code (klab ack: 1 when a record was refused).
    const code = await command(ctx, rest);
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    if (e instanceof UsageError) process.stderr.write(`% ERROR: ${e.message}\n\n${USAGE}`);
    else if (e instanceof ApiError || e instanceof Error) process.stderr.write(`% ERROR: ${e.message}\n`);
    if (process.env.KLAB_DEBUG && !(e instanceof ApiError)) console.error(e);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

module.exports = { main, USAGE };
