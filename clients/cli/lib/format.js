'use strict';
/**
 * Pure output helpers of the klab CLI: kcat's `-f` tokens, kcat's rebalance line, plain-text tables,
 * and one sentence per timeline event. No I/O here, so test/unit/cli-format.spec.ts can pin them down.
 * The sentences the web page prints too (rebalance, share events) come from clients/lib/lab-client.js.
 */
const { text: shared } = require('../../lib/lab-client');

/** The tokens kcat's `-f` understands that make sense for a message read through the lab API. */
const FORMAT_TOKENS = {
  t: (m) => m.topic,
  p: (m) => String(m.partition),
  o: (m) => String(m.offset),
  k: (m) => (m.key == null ? '' : m.key),
  s: (m) => (m.value == null ? '' : m.value),
  K: (m) => (m.key == null ? '-1' : String(Buffer.byteLength(m.key))),
  S: (m) => (m.value == null ? '-1' : String(Buffer.byteLength(m.value))),
  T: (m) => String(timestampMs(m.timestamp)),
  h: (m) => formatHeaders(m.headers),
  // KIP-932: how many times the share group has handed this record out; -1 off share groups (like %K).
  d: (m) => (m.deliveryCount == null ? '-1' : String(m.deliveryCount)),
  '%': () => '%',
};
const ESCAPES = { n: '\n', t: '\t', r: '\r', '\\': '\\', 0: '\0' };

/**
 * Compiles a kcat format string (`'%p %s\n'`, as typed in a shell, so `\n` is two characters) into a
 * function of a Message. Throws a sentence on an unknown token, like kcat does, before anything is consumed.
 */
function compileFormat(fmt) {
  const parts = []; // strings, or functions of the message
  let lit = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if ((c === '%' || c === '\\') && i + 1 < fmt.length) {
      const n = fmt[++i];
      if (c === '\\') {
        lit += n in ESCAPES ? ESCAPES[n] : '\\' + n;
        continue;
      }
      const token = FORMAT_TOKENS[n];
      if (!token) throw new Error(`unsupported format token %${n} (klab knows %t %p %o %k %s %K %S %T %h %d %%)`);
      if (n === '%') { lit += '%'; continue; }
      if (lit) parts.push(lit);
      lit = '';
      parts.push(token);
    } else {
      lit += c;
    }
  }
  if (lit) parts.push(lit);
  return (msg) => parts.map((p) => (typeof p === 'string' ? p : p(msg))).join('');
}

function formatMessage(fmt, msg) {
  return compileFormat(fmt)(msg);
}

/** kcat's %T: milliseconds since the epoch, -1 when the message has none. Accepts ms or ISO-8601. */
function timestampMs(ts) {
  if (ts == null || ts === '') return -1;
  if (typeof ts === 'number') return ts;
  if (/^-?\d+$/.test(ts)) return Number(ts);
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? -1 : ms;
}

/** kcat's %h: `name=value` pairs separated by commas; empty when there are none. */
function formatHeaders(headers) {
  if (!headers) return '';
  const entries = Array.isArray(headers) ? headers.map((h) => [h.key, h.value]) : Object.entries(headers);
  return entries.map(([k, v]) => `${k}=${v == null ? '' : v}`).join(',');
}

/**
 * A share consumer's default line (no -f): `partition:offset<TAB>value`, so the student sees what to
 * acknowledge (`r 0:5`), and `<TAB>(delivery N)` once the record comes back (deliveryCount > 1).
 */
function shareLine(m) {
  const again = m.deliveryCount > 1 ? `\t(delivery ${m.deliveryCount})` : '';
  return `${m.partition}:${m.offset}\t${m.value == null ? '' : m.value}${again}\n`;
}

const partitionList = shared.partitionList;

/**
 * The line a console consumer prints on a rebalance, as LABS.md shows it:
 * `% Group test-group rebalanced (memberid m-1): assigned: failsafe-test-topic [2], revoked: failsafe-test-topic [0]`,
 * with `, epoch 7` after the member id for consumer-protocol and share members.
 * Only the non-empty halves are printed; a rebalance that changed nothing for this member says so.
 */
function rebalanceLine(ev) {
  return `% ${shared.rebalanceText(ev)}`;
}

/** `% t [0] @5 redelivered (delivery 2): released` — the stderr notice of a share.* event. */
function shareNotice(ev) {
  return `% ${shared.shareEventText(ev)}`;
}

/** `% t [0] @5 released`, or `% ERROR: release of t [0] @5 refused: ...`, per acknowledge result. */
function ackResultLine(r) {
  return `% ${r.error ? 'ERROR: ' : ''}${shared.ackResultText(r)}`;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
function renderTable(headers, rows) {
  const all = [headers, ...rows].map((r) => r.map((c) => (c == null ? '' : String(c))));
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] || '').length)));
  return all
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

const list = (xs) => (xs && xs.length ? xs.join(',') : '-');
const assignmentText = (assignment) => partitionList(assignment) || '-';

/** Local wall-clock time of an ISO timestamp, to the millisecond (timelines are about seconds). */
function clock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso || '');
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function renderCluster(c) {
  const boot = Array.isArray(c.bootstrapServers) ? c.bootstrapServers.join(',') : c.bootstrapServers || '-';
  const head = `Cluster ${c.state} (driver ${c.driver || '?'}, Kafka ${c.kafkaVersion || '?'}, cluster id ${c.clusterId || '-'})\nBootstrap servers: ${boot}`;
  const nodes = [...(c.controllers || []), ...(c.brokers || [])];
  const rows = nodes.map((n) => [n.id, n.role, n.state, n.host ? `${n.host}:${n.port}` : '-', n.since ? clock(n.since) : '-']);
  return `${head}\n\n${renderTable(['ID', 'ROLE', 'STATE', 'ADDRESS', 'SINCE'], rows)}`;
}

function renderNode(n) {
  return `Node ${n.id} (${n.role}) is ${n.state}${n.host ? ` at ${n.host}:${n.port}` : ''}`;
}

function configsText(configs) {
  if (!configs) return '';
  const entries = Array.isArray(configs) ? configs.map((c) => [c.name, c.value]) : Object.entries(configs);
  return entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/** A topic description in the shape `kafka-topics.sh --describe` prints (for create and elect results). */
function renderDescription(d) {
  const parts = d.partitions || [];
  const rf = d.replicationFactor != null ? d.replicationFactor : (parts[0] && parts[0].replicas.length) || 0;
  const lines = [`Topic: ${d.name}\tPartitionCount: ${parts.length}\tReplicationFactor: ${rf}\tConfigs: ${configsText(d.configs)}`];
  for (const p of parts) {
    let line = `\tTopic: ${d.name}\tPartition: ${p.partition}\tLeader: ${p.leader == null ? 'none' : p.leader}\tReplicas: ${list(p.replicas)}\tIsr: ${list(p.isr)}`;
    if (p.offlineReplicas && p.offlineReplicas.length) line += `\tOffline: ${list(p.offlineReplicas)}`;
    lines.push(line);
  }
  return lines.join('\n');
}

function renderTopics(topics) {
  return renderTable(['NAME', 'PARTITIONS', 'RF', 'OWNER'], topics.map((t) => [t.name, t.partitions, t.replicationFactor, t.owner || '-']));
}

/** `classic`, `consumer`, `share` or `share/manual` (what a student asked for when starting it). */
function protocolText(c) {
  const protocol = c.protocol || 'classic';
  return protocol === 'share' && c.ack === 'manual' ? 'share/manual' : protocol;
}

const epochText = (e) => (e == null ? '-' : e);

/** An OWNER column only when the rows have several owners (the instructor's view of a class). */
const severalOwners = (rows) => new Set(rows.map((r) => r.owner)).size > 1;
const ownerCell = (several, r) => (several ? [r.owner || '-'] : []);

function renderConsumers(consumers) {
  const owners = severalOwners(consumers);
  return renderTable(
    ['ID', 'NAME', ...(owners ? ['OWNER'] : []), 'GROUP', 'PROTOCOL', 'TOPICS', 'STATE', 'EPOCH', 'RECEIVED', 'ASSIGNMENT'],
    consumers.map((c) => [c.id, c.name || '-', ...ownerCell(owners, c), c.groupId || '-', protocolText(c), list(c.topics), c.state, epochText(c.memberEpoch), c.received, assignmentText(c.assignment)]),
  );
}

const memberCount = (m) => (Array.isArray(m) ? m.length : m);

function renderGroups(groups) {
  const owners = severalOwners(groups);
  return renderTable(['GROUP', ...(owners ? ['OWNER'] : []), 'TYPE', 'STATE', 'MEMBERS'], groups.map((g) => [g.groupId, ...ownerCell(owners, g), g.type || 'classic', g.state, memberCount(g.members)]));
}

/** `Group g: Stable (consumer group, group epoch 5, target assignment epoch 5)` and the tables under it. */
function renderGroup(g) {
  const about = [g.type ? `${g.type} group` : null, g.protocol && g.protocol !== g.type ? g.protocol : null,
    g.groupEpoch != null ? `group epoch ${g.groupEpoch}` : null,
    g.targetAssignmentEpoch != null ? `target assignment epoch ${g.targetAssignmentEpoch}` : null].filter(Boolean);
  const epochs = g.type === 'consumer' || g.type === 'share' || (g.members || []).some((m) => m.memberEpoch != null);
  const members = renderTable(
    ['MEMBER', 'CONSUMER', 'CLIENT', ...(epochs ? ['EPOCH'] : []), 'ASSIGNMENT'],
    // A member the server does not run (kcat -G): its client and where it connects from.
    (g.members || []).map((m) => [m.memberId, m.consumerId || (m.external ? 'external' : '-'), m.external && m.clientHost ? `${m.clientId || '-'}@${m.clientHost}` : m.clientId || '-', ...(epochs ? [epochText(m.memberEpoch)] : []), assignmentText(m.assignment)]),
  );
  // A share group has no committed offsets: the share-partition start and the records still in flight.
  const offsets = g.type === 'share'
    ? renderTable(['TOPIC', 'PARTITION', 'START', 'LATEST', 'IN-FLIGHT'],
      (g.offsets || []).map((o) => [o.topic, o.partition, o.startOffset == null ? '-' : o.startOffset, o.latest, o.inFlight == null ? '-' : o.inFlight]))
    : renderTable(['TOPIC', 'PARTITION', 'COMMITTED', 'LATEST', 'LAG'],
      (g.offsets || []).map((o) => [o.topic, o.partition, o.committed == null ? '-' : o.committed, o.latest, o.lag == null ? '-' : o.lag]));
  return `Group ${g.groupId}: ${g.state}${about.length ? ` (${about.join(', ')})` : ''}\n\n${members}\n\n${offsets}`;
}

/** One readable sentence per timeline event (what the student should SEE). */
function describeEvent(e) {
  const tp = `${e.topic} [${e.partition}]`;
  switch (e.type) {
    case 'partition.leader-changed':
      return `${tp}: leader ${e.from == null ? 'none' : e.from} -> ${e.to == null ? 'NONE (no leader)' : e.to}`;
    case 'partition.isr-changed': {
      const shrunk = (e.isr || []).length < (e.previous || []).length;
      return `${tp}: ISR ${list(e.previous)} -> ${list(e.isr)}${shrunk ? ' (shrunk)' : ' (expanded)'}`;
    }
    case 'group.rebalanced':
      // The epoch is in the line already for consumer-protocol and share members (generation = epoch).
      // An external member's generation is not known (its group's description does not say it).
      return `${shared.rebalanceText(e)} [consumer ${e.consumerId}${e.memberEpoch != null || e.generation == null ? '' : `, generation ${e.generation}`}]${shared.externalText(e)}`;
    case 'share.acknowledged':
    case 'share.redelivered':
      return `${shared.shareEventText(e)} [consumer ${e.consumerId}, group ${e.groupId}]`;
    case 'share.archived':
      return `${shared.shareEventText(e)} [group ${e.groupId}]`;
    case 'messages.produced': {
      const per = Object.entries(e.partitions || {}).map(([p, n]) => `[${p}] ${n}`).join(', ');
      return `${e.count} message(s) to ${e.topic}${per ? ` (${per})` : ''}${shared.externalText(e)}`;
    }
    case 'messages.consumed':
      return shared.consumedText(e) + shared.externalText(e);
    case 'checkpoint.passed':
      return shared.checkpointPassedText(e);
    case 'topic.created':
      return `topic ${e.topic} created: ${e.partitions} partition(s), replication factor ${e.replicationFactor}`;
    case 'topic.deleted':
      // reason: the server deleted it itself (made outside the API, over a class quota).
      return `topic ${e.topic} deleted${e.reason ? ` — ${e.reason}` : ''}`;
    default:
      if (e.type.startsWith('node.')) return `${e.role || 'node'} ${e.nodeId} ${e.type.slice(5)}`;
      if (e.type.startsWith('consumer.')) return `consumer ${e.consumerId} ${e.type.slice(9)}${e.groupId ? ` (group ${e.groupId})` : ''}${shared.externalText(e)}`;
      return shared.classEventText(e) || e.type.replace('.', ' ');
  }
}

function eventLine(e) {
  return `${clock(e.time)}  #${e.seq}  ${e.type.padEnd(24)}  ${describeEvent(e)}${e.actor ? `  (by ${e.actor})` : ''}`;
}

/** `% 3 message(s) produced to t: [0] offsets 5..6, [2] offset 3` from the results of one produce call. */
function produceSummary(topic, results) {
  const byPartition = new Map();
  for (const r of results || []) {
    if (!byPartition.has(r.partition)) byPartition.set(r.partition, []);
    byPartition.get(r.partition).push(r.offset);
  }
  const parts = [...byPartition.entries()].sort((a, b) => a[0] - b[0]).map(([p, offs]) => {
    const nums = offs.map(Number);
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    return lo === hi ? `[${p}] offset ${lo}` : `[${p}] offsets ${lo}..${hi}`;
  });
  return `% ${(results || []).length} message(s) produced to ${topic}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

module.exports = {
  compileFormat, formatMessage, timestampMs, formatHeaders, partitionList, rebalanceLine, renderTable,
  shareLine, shareNotice, ackResultLine, protocolText,
  renderCluster, renderNode, renderDescription, renderTopics, renderConsumers, renderGroups, renderGroup,
  describeEvent, eventLine, produceSummary, clock,
};
