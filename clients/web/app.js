// kafka-lab dashboard: plain DOM, no build. Every button is one call of API.md; what Kafka did in
// reply comes back over socket.io (namespace /lab) and is drawn as it happens.
'use strict';

const $ = (id) => document.getElementById(id);
const TERMINAL = ['stopped', 'killed', 'crashed'];
const MAX_TIMELINE = 300;
/** messages.consumed lines kept: one a second per reading consumer would push everything else out. */
const MAX_RECEIPTS = 60;
const MAX_CARD_LINES = 200;
/** The pictures (partition-map.js, ...): each mounts its panel and hears what it draws from. */
const PICTURES = [PartitionMap, GroupView, Swimlane, Rates, Board];
const tell = (hook, ...args) => { for (const v of PICTURES) if (v[hook]) v[hook](...args); };

const state = {
  token: null,
  socket: null,
  link: null, // the shared LiveLink: subscriptions with cursors, resumed after every reconnect
  topics: [],
  selectedTopic: null,
  cards: new Map(), // consumer id -> { consumer, el, stream }
  timeline: null,
  me: null, // GET /api/me: who we are, and (a student) whether the class lets us control nodes
  roster: new Map(), // student id -> roster entry (instructor)
  classSettings: null, // GET /api/class as the settings form shows it (instructor)
  startingConsumers: 0, // POST /api/consumers of this page under way
  startedMeanwhile: false, // a consumer.started of another consumer came meanwhile
};

// ------------------------------------------------------------------------------------------ helpers

/** Builds an element: h('td', { class: 'x', dataset: { a: 1 } }, 'text', child). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'onclick') el.addEventListener('click', v);
    else if (k === 'testid') el.setAttribute('data-testid', v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : String(c));
  return el;
}

const list = (xs) => (xs && xs.length ? xs.join(', ') : '–');
// The sentences klab prints too (clients/lib/lab-client.js): the page and the terminal say the same.
const say = LabClient.text;
const partitionList = say.partitionList;
const clock = (iso) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
};

/** Calls the API through the shared client (clients/lib/lab-client.js); a 401 shows the sign-in. */
async function api(method, path, body, { text } = {}) {
  try {
    return await new LabClient.LabApi('', state.token).request(method, path, { body, text });
  } catch (e) {
    if (e.status === 401) showLogin();
    throw e;
  }
}

/** Shows an API error as its sentence until dismissed (or replaced by the same one). */
function showError(err) {
  const text = err && err.message ? err.message : String(err);
  const box = $('errors');
  for (const old of box.children) if (old.dataset.text === text) old.remove();
  const item = h('div', { class: 'error', testid: 'error', dataset: { text } }, text, h('button', { type: 'button', title: 'dismiss', onclick: () => item.remove() }, '×'));
  box.prepend(item);
  while (box.children.length > 4) box.lastChild.remove();
}

/** Runs an action from a button: disabled while it runs (starting a broker takes seconds), errors shown. */
async function act(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (e) {
    showError(e);
  } finally {
    if (button) button.disabled = false;
  }
}

/** Coalesces bursts (ten ISR changes at once) into one reload. */
function debounce(fn, ms = 150) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

// ------------------------------------------------------------------------------------------ cluster

async function loadCluster() {
  renderCluster(await api('GET', '/cluster'));
}

/** Which lifecycle calls a node in state `s` takes: the page offers only those (the table and the partition map). */
function nodeActionsFor(s) {
  return {
    stop: ['running', 'paused', 'starting'].includes(s),
    kill: ['running', 'paused', 'starting'].includes(s),
    pause: s === 'running',
    resume: s === 'paused',
    start: ['stopped', 'killed', 'crashed'].includes(s),
  };
}

function nodeButtons(n) {
  if (!mayControlNodes()) return h('span', { class: 'muted', title: 'the instructor can allow students to control nodes (studentsMayControlBrokers)' }, 'instructor only');
  const can = nodeActionsFor(n.state);
  const titles = { stop: 'graceful (controlled shutdown)', kill: 'abrupt: SIGKILL, no controlled shutdown', pause: 'freeze the process', resume: 'thaw the process', start: 'start it again' };
  return Object.keys(can).map((a) => {
    const b = h('button', { type: 'button', dataset: { action: a }, testid: `node-${a}`, title: titles[a], class: a === 'kill' ? 'danger' : null }, a);
    b.disabled = !can[a];
    b.addEventListener('click', () => act(b, async () => {
      const res = await api('POST', `/cluster/nodes/${n.id}/${a}`);
      if (res && (res.brokers || res.controllers)) renderCluster(res);
      else await loadCluster();
    }));
    return b;
  });
}

function renderCluster(c) {
  $('cluster-state').textContent = c.state;
  $('cluster-state').className = `state s-${c.state}`;
  const boot = Array.isArray(c.bootstrapServers) ? c.bootstrapServers.join(',') : c.bootstrapServers || '';
  $('cluster-info').textContent = `driver ${c.driver || '?'} · Kafka ${c.kafkaVersion || '?'} · bootstrap ${boot || '–'}`;
  const rows = [...(c.controllers || []), ...(c.brokers || [])].map((n) =>
    h('tr', { testid: 'node-row', dataset: { nodeId: n.id, role: n.role, state: n.state } },
      h('td', null, n.id),
      h('td', null, n.role),
      h('td', { title: n.since ? `${n.state} since ${clock(n.since)}${n.reason ? `: ${n.reason}` : ''}` : null }, h('span', { class: `state s-${n.state}`, testid: 'node-state' }, n.state)),
      h('td', null, n.host ? `${n.host}:${n.port}` : '–'),
      h('td', { class: 'actions' }, nodeButtons(n))));
  $('nodes').replaceChildren(...rows);
  tell('onCluster', c);
}

function clusterAction(action) {
  const button = $(`cluster-${action}`);
  return act(button, async () => {
    if (action === 'reset' && !confirm('Reset wipes every topic and message of the cluster. Go on?')) return;
    const shape = { brokers: Number($('cluster-brokers').value) || undefined, controllers: Number($('cluster-controllers').value) || undefined };
    const res = await api('POST', `/cluster/${action}`, action === 'stop' ? undefined : shape);
    if (res && (res.brokers || res.controllers)) renderCluster(res);
    else await loadCluster();
  });
}

// ------------------------------------------------------------------------------------------- topics

async function loadTopics() {
  state.topics = await api('GET', '/topics');
  drawTopics();
}

function drawTopics() {
  $('topics').replaceChildren(...(state.topics.length ? state.topics.map((t) =>
    h('tr', { testid: 'topic-row', dataset: { topic: t.name, owner: t.owner }, class: t.name === state.selectedTopic ? 'selected clickable' : 'clickable', onclick: () => selectTopic(t.name) },
      h('td', null, t.name), h('td', null, t.partitions), h('td', null, t.replicationFactor), h('td', { testid: 'topic-owner' }, ownerText(t.owner)))) :
    [h('tr', null, h('td', { colspan: 4, class: 'muted' }, 'No topics yet: create one above.'))]));
  $('topic-names').replaceChildren(...state.topics.map((t) => h('option', { value: t.name })));
  tell('onTopics', state.topics);
}
const reloadTopics = debounce(() => loadTopics().catch(showError));

async function selectTopic(name) {
  state.selectedTopic = name;
  for (const row of $('topics').children) row.classList.toggle('selected', row.dataset.topic === name);
  if (!$('producer-topic').value) $('producer-topic').value = name;
  if (!$('consumer-topic').value) $('consumer-topic').value = name;
  PartitionMap.show(name);
  await describeTopic().catch(showError);
}

async function describeTopic(desc) {
  const name = state.selectedTopic;
  if (!name) return;
  const d = desc || (await api('GET', `/topics/${encodeURIComponent(name)}`));
  $('describe').hidden = false;
  // A student's shared (instructor's) topic: describe, produce and consume, but no delete or election.
  const manage = mayManageTopic(state.topics.find((t) => t.name === name));
  $('topic-delete').hidden = !manage;
  $('topic-elect').hidden = !manage;
  $('describe-name').textContent = `${d.name} · replication factor ${d.replicationFactor}`;
  $('partitions').replaceChildren(...d.partitions.map((p) => {
    const noLeader = p.leader == null;
    const shrunk = !noLeader && p.isr.length < p.replicas.length;
    const note = noLeader ? 'no leader: this partition cannot be read or written' : shrunk ? `ISR shrunk: ${list(p.replicas.filter((r) => !p.isr.includes(r)))} out of sync` : '';
    return h('tr', { testid: 'partition-row', dataset: { partition: p.partition, leader: noLeader ? 'none' : p.leader }, class: noLeader ? 'no-leader' : shrunk ? 'shrunk' : null },
      h('td', null, p.partition),
      h('td', { testid: 'partition-leader' }, noLeader ? 'none' : p.leader),
      h('td', null, list(p.replicas)),
      h('td', { testid: 'partition-isr' }, list(p.isr)),
      h('td', null, p.earliestOffset != null ? `${p.earliestOffset}..${p.latestOffset}` : '–'),
      h('td', { class: 'note' }, note));
  }));
}
const redescribe = debounce(() => describeTopic().catch(showError), 300);

async function createTopic(e) {
  e.preventDefault();
  await act(e.submitter, async () => {
    const body = { name: $('topic-name').value.trim(), partitions: Number($('topic-partitions').value), replicationFactor: Number($('topic-rf').value) };
    const configs = $('topic-configs').value.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
    if (configs.length) {
      body.configs = {};
      for (const c of configs) {
        const eq = c.indexOf('=');
        if (eq <= 0) throw new Error(`config "${c}" should look like name=value`);
        body.configs[c.slice(0, eq).trim()] = c.slice(eq + 1).trim();
      }
    }
    const desc = await api('POST', '/topics', body);
    $('topic-name').value = '';
    await loadTopics();
    state.selectedTopic = body.name;
    await describeTopic(desc);
    await loadTopics();
    $('producer-topic').value = body.name;
    $('consumer-topic').value = body.name;
  });
}

// ----------------------------------------------------------------------------------------- producer

async function produce(e) {
  e.preventDefault();
  await act(e.submitter, async () => {
    const topic = $('producer-topic').value.trim();
    const raw = $('producer-value').value;
    const values = $('producer-lines').checked ? raw.split('\n').filter((l) => l !== '') : [raw];
    if (!values.length) throw new Error('type a message to send');
    const key = $('producer-key').value;
    const part = $('producer-partition').value;
    const messages = values.map((value) => ({ value, key: key || undefined, partition: part === '' ? undefined : Number(part) }));
    const res = await api('POST', `/topics/${encodeURIComponent(topic)}/messages`, { messages });
    const where = (res.results || []).map((r) => `[${r.partition}]@${r.offset}`).join(' ');
    $('producer-result').textContent = `${messages.length} message(s) sent to ${topic}: ${where}`;
    $('producer-value').value = '';
  });
}

// ---------------------------------------------------------------------------------------- consumers

async function loadConsumers() {
  const consumers = shownConsumers(await api('GET', '/consumers'));
  const seen = new Set();
  // Newest first: the server lists them in creation order.
  for (const c of [...consumers].sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)))) {
    seen.add(c.id);
    upsertCard(c);
  }
  for (const id of [...state.cards.keys()]) if (!seen.has(id)) removeCard(id);
}

const reloadConsumers = debounce(() => loadConsumers().catch(showError), 300);

function upsertCard(c) {
  let card = state.cards.get(c.id);
  if (!card) {
    // `held`: the message lines of a manual share consumer still waiting for accept/release/reject.
    card = { consumer: c, el: null, stream: null, subscribed: false, delivered: 0, held: new Map(), own: new LabClient.OwnAcks() };
    card.el = h('article', { class: 'card', testid: 'consumer-card', dataset: { consumerId: c.id, topic: (c.topics || []).join(','), protocol: c.protocol || 'classic' } });
    card.stream = new LabClient.SeqStream((m) => { card.delivered++; showReceived(card); addLine(card, messageLine(card, m)); });
    state.cards.set(c.id, card);
    $('consumer-cards').prepend(card.el);
  }
  card.consumer = c;
  drawCard(card);
  if (!TERMINAL.includes(c.state)) follow(card);
  // Joining ends with a rebalance event, but the consumer's own state may be written just after it:
  // look again until it is settled rather than trusting one read.
  clearTimeout(card.recheck);
  if (c.state === 'joining') card.recheck = setTimeout(() => refreshConsumer(c.id), 1000);
  return card;
}

function drawCard(card) {
  const c = card.consumer;
  const el = card.el;
  el.dataset.state = c.state;
  const lines = el.querySelector('.messages') || h('ol', { class: 'messages', testid: 'consumer-messages' });
  const stop = h('button', { type: 'button', testid: 'consumer-stop', title: 'leave the group cleanly (like Ctrl-C)' }, 'stop');
  const kill = h('button', { type: 'button', testid: 'consumer-kill', class: 'danger', title: 'die without leaving: the group notices after the session timeout' }, 'kill');
  const rm = h('button', { type: 'button', testid: 'consumer-remove', title: 'forget this consumer' }, 'remove');
  stop.disabled = kill.disabled = TERMINAL.includes(c.state);
  stop.addEventListener('click', () => act(stop, async () => upsertCard(await api('POST', `/consumers/${c.id}/stop`) || c)));
  kill.addEventListener('click', () => act(kill, async () => upsertCard(await api('POST', `/consumers/${c.id}/kill`) || c)));
  rm.addEventListener('click', () => act(rm, async () => { await api('DELETE', `/consumers/${c.id}`); removeCard(c.id); }));
  // A manual share consumer's held records can all be accepted at once (the lock runs meanwhile).
  const acceptAll = isManual(c) ? h('button', { type: 'button', testid: 'consumer-accept-all', title: 'accept every record this consumer holds' }, 'accept all') : null;
  if (acceptAll) {
    acceptAll.disabled = TERMINAL.includes(c.state);
    acceptAll.addEventListener('click', () => act(acceptAll, () => acknowledge(card, 'accept', [...card.held.values()])));
  }
  el.dataset.protocol = c.protocol || 'classic';
  el.replaceChildren(...[
    h('header', null,
      h('strong', null, c.name || c.id), ' ',
      h('span', { class: `state s-${c.state}`, testid: 'consumer-state' }, c.state), ' ',
      h('span', { class: 'muted' }, `${c.id} · group ${c.groupId} · ${list(c.topics)}${c.fromBeginning ? ' · from beginning' : ''}${consumerOwnerNote(c)}`), ' ',
      h('span', { class: `protocol p-${c.protocol || 'classic'}`, testid: 'consumer-protocol' }, protocolLabel(c))),
    h('div', null, 'assigned: ', h('span', { testid: 'consumer-assignment' }, partitionList(c.assignment) || '–')),
    // KIP-848 and KIP-932 members have an epoch: it rises with every reconciliation step.
    c.protocol && c.protocol !== 'classic' ? h('div', null, 'member epoch: ', h('span', { testid: 'consumer-epoch' }, c.memberEpoch == null ? '–' : c.memberEpoch)) : null,
    h('div', null, 'received: ', h('span', { testid: 'consumer-received' }, Math.max(c.received || 0, card.delivered))),
    h('div', { class: 'row' }, stop, kill, rm, acceptAll),
    lines].filter(Boolean));
}

const isManual = (c) => c.protocol === 'share' && c.ack === 'manual';

function protocolLabel(c) {
  if (c.protocol === 'consumer') return 'consumer protocol';
  if (c.protocol === 'share') return `share group${isManual(c) ? ', manual acks' : ''}`;
  return 'classic';
}

const recordKey = (topic, partition, offset) => `${topic}\u0000${partition}\u0000${offset}`;

/**
 * One received message. Share records show their delivery count (highlighted once a record came
 * back); a manual share consumer's records get accept/release/reject buttons until acknowledged.
 */
function messageLine(card, m) {
  const dataset = { partition: m.partition, offset: m.offset };
  if (m.deliveryCount != null) dataset.deliveryCount = m.deliveryCount;
  const li = h('li', { testid: 'consumer-message', dataset },
    h('span', { class: 'where' }, `[${m.partition}]@${m.offset}`),
    m.deliveryCount != null ? h('span', { class: m.deliveryCount > 1 ? 'delivery again' : 'delivery', testid: 'consumer-delivery', title: 'how many times the share group handed this record out' }, `delivery ${m.deliveryCount}`) : null,
    m.key != null ? h('span', { class: 'key' }, `${m.key}=`) : null,
    m.value == null ? '(null)' : m.value);
  if (isManual(card.consumer) && !TERMINAL.includes(card.consumer.state)) {
    li.record = { topic: m.topic, partition: m.partition, offset: String(m.offset) };
    const buttons = ['accept', 'release', 'reject'].map((type) => {
      const titles = { accept: 'done with it', release: 'give it back: it is delivered again with a higher delivery count', reject: 'never deliver it again' };
      const b = h('button', { type: 'button', testid: `ack-${type}`, title: titles[type], class: type === 'reject' ? 'danger' : null }, type);
      b.addEventListener('click', () => act(b, () => acknowledge(card, type, [li])));
      return b;
    });
    li.append(h('span', { class: 'acks' }, buttons));
    // A new delivery of a record replaces the older line as the one held; that one's buttons are stale.
    const key = recordKey(m.topic, m.partition, li.record.offset);
    const older = card.held.get(key);
    if (older) older.querySelector('.acks')?.replaceWith(h('span', { class: 'acked', testid: 'ack-state' }, 'delivered again'));
    card.held.set(key, li);
  }
  return li;
}

/**
 * Acknowledges the records of these message lines (a manual share consumer's); each partition's answer
 * marks the lines that were clicked (not a newer delivery of the same record) or shows why not.
 */
async function acknowledge(card, type, lines) {
  if (!lines.length) throw new Error('this consumer holds no records to acknowledge');
  const records = lines.map((li) => li.record);
  card.own.mark(type, records);
  let res;
  try {
    res = await new LabClient.LabApi('', state.token).acknowledge(card.consumer.id, records.map((r) => ({ ...r, type })));
  } catch (e) {
    if (e.status === 401) showLogin();
    throw e;
  }
  for (const r of (res && res.results) || []) {
    if (r.error) { showError(new Error(say.ackResultText(r))); continue; }
    for (const offset of r.offsets || []) {
      const li = lines.find((l) => l.record.topic === r.topic && l.record.partition === r.partition && l.record.offset === String(offset));
      if (li) markLine(card, li, r.type || type);
    }
  }
}

/** An acknowledgement made elsewhere (klab ack, another tab): the held lines of those records. */
function markAcknowledged(card, topic, partition, offsets, type) {
  for (const offset of offsets || []) {
    const li = card.held.get(recordKey(topic, partition, String(offset)));
    if (li) markLine(card, li, type);
  }
}

/** A message line loses its buttons and says what became of its record. */
function markLine(card, li, type) {
  const key = recordKey(li.record.topic, li.record.partition, li.record.offset);
  if (card.held.get(key) === li) card.held.delete(key);
  const done = say.ACK_DONE[type] || 'acknowledged';
  li.querySelector('.acks, .acked')?.replaceWith(h('span', { class: `acked ${type || ''}`, testid: 'ack-state' }, done));
  li.dataset.ack = done;
}

/** The server's count, or what this page saw arrive if that is ahead (the count is refreshed lazily). */
function showReceived(card) {
  const n = card.el.querySelector('[data-testid=consumer-received]');
  if (n) n.textContent = String(Math.max(card.consumer.received || 0, card.delivered));
}

function addLine(card, li) {
  const ol = card.el.querySelector('.messages');
  ol.prepend(li);
  while (ol.children.length > MAX_CARD_LINES) ol.lastChild.remove();
}

/**
 * Follows the card's consumer: without an event cursor the server sends its whole story (start,
 * rebalances), then the last messages a card shows (not all it keeps: a socket holds only so many
 * replayed items, and every card replays), then goes on live; the link resumes it after a reconnect.
 */
async function follow(card) {
  if (!state.link || !state.socket.connected || card.subscribed) return;
  card.subscribed = true;
  try {
    // A consumer's message seqs count its messages: `received` is its newest one.
    const after = { message: Math.max(0, (card.consumer.received || 0) - MAX_CARD_LINES) };
    await state.link.follow({ consumer: card.consumer.id, after });
  } catch (e) {
    card.subscribed = false;
    showError(e);
  }
}

function removeCard(id) {
  const card = state.cards.get(id);
  if (!card) return;
  card.el.remove();
  state.cards.delete(id);
  if (state.link && card.subscribed) state.link.unfollow({ consumer: id });
}

const refreshConsumer = (id) => api('GET', `/consumers/${id}`).then((c) => state.cards.has(id) && upsertCard(c), showError);
const refreshCard = debounce(refreshConsumer, 300);

async function startConsumer(e) {
  e.preventDefault();
  await act(e.submitter, async () => {
    const body = { topics: [$('consumer-topic').value.trim()], fromBeginning: $('consumer-from-beginning').checked };
    // Classic sends no protocol: the body stays the one servers before Kafka 4's protocols know.
    const protocol = $('consumer-protocol').value;
    if (protocol !== 'classic') body.protocol = protocol;
    if (protocol === 'share') body.ack = $('consumer-ack').value;
    if ($('consumer-group').value.trim()) body.groupId = $('consumer-group').value.trim();
    if ($('consumer-name').value.trim()) body.name = $('consumer-name').value.trim();
    state.startingConsumers++;
    try {
      upsertCard(await api('POST', '/consumers', body));
    } finally {
      // Others started meanwhile (another tab, klab) get their cards now.
      if (--state.startingConsumers === 0 && state.startedMeanwhile) {
        state.startedMeanwhile = false;
        reloadConsumers();
      }
    }
  });
}

// ----------------------------------------------------------------------------------------- timeline

function describeEvent(e) {
  const tp = `${e.topic} [${e.partition}]`;
  switch (e.type) {
    case 'partition.leader-changed': return `${tp}: leader ${e.from ?? 'none'} → ${e.to == null ? 'NONE (no leader)' : e.to}`;
    case 'partition.isr-changed': return `${tp}: ISR ${list(e.previous)} → ${list(e.isr)}`;
    case 'group.rebalanced': return `${say.rebalanceText(e)} — consumer ${e.consumerId}${say.externalText(e)}`;
    case 'share.acknowledged':
    case 'share.redelivered': return `${say.shareEventText(e)} — consumer ${e.consumerId}, group ${e.groupId}`;
    case 'share.archived': return `${say.shareEventText(e)} — group ${e.groupId}`;
    case 'messages.produced': return `${e.count} message(s) to ${e.topic}${say.externalText(e)}`;
    case 'messages.consumed': return say.consumedText(e) + say.externalText(e);
    case 'checkpoint.passed': return say.checkpointPassedText(e, passerText(e.studentId));
    case 'topic.created': return `topic ${e.topic} created: ${e.partitions} partition(s), replication factor ${e.replicationFactor}`;
    case 'topic.deleted': return `topic ${e.topic} deleted${e.reason ? ` — ${e.reason}` : ''}`;
    default:
      if (e.type.startsWith('node.')) return `${e.role || 'node'} ${e.nodeId} ${e.type.slice(5)}`;
      if (e.type.startsWith('consumer.')) return `consumer ${e.consumerId} ${e.type.slice(9)}${e.groupId ? ` (group ${e.groupId})` : ''}${say.externalText(e)}`;
      return say.classEventText(e) || e.type.replace('.', ' ');
  }
}

function eventClass(e) {
  if (e.type === 'partition.leader-changed' && e.to == null) return 'bad';
  if (e.type === 'partition.isr-changed' && (e.isr || []).length < (e.previous || []).length) return 'warn';
  if (/\.(killed|crashed)$/.test(e.type)) return 'bad';
  if (/\.(stopped|paused)$/.test(e.type)) return 'warn';
  if (e.type === 'share.archived') return 'warn';
  return e.type.split('.')[0];
}

/**
 * Whether the timeline filter shows an event type. The default leaves out what consumers received
 * (a line a second per consumer); "*" shows everything; any other value is a type prefix.
 */
function shownBy(filter, type) {
  if (filter === '*') return true;
  if (filter === '') return type !== 'messages.consumed';
  return type.startsWith(filter);
}

function addEvent(e) {
  const filter = $('timeline-filter').value;
  const li = h('li', { testid: 'timeline-event', dataset: { type: e.type, seq: e.seq }, class: eventClass(e), hidden: !shownBy(filter, e.type) },
    h('time', null, clock(e.time)), ' ', h('code', null, e.type), ' ', describeEvent(e), actorNote(e.actor));
  const ol = $('timeline');
  // Newest on top, in seq order: an older event may come after newer ones (order is per subscription).
  let before = ol.firstChild;
  while (before && Number(before.dataset.seq) > e.seq) before = before.nextSibling;
  ol.insertBefore(li, before);
  if (e.type === 'messages.consumed') {
    const receipts = ol.querySelectorAll('li[data-type="messages.consumed"]');
    for (let i = MAX_RECEIPTS; i < receipts.length; i++) receipts[i].remove();
  }
  while (ol.children.length > MAX_TIMELINE) ol.lastChild.remove();
}

/** What an event changes on the page besides the timeline. */
function react(e) {
  if (e.type === 'topic.created' || e.type === 'topic.deleted') reloadTopics();
  if ((e.type.startsWith('partition.') || e.type === 'messages.produced') && e.topic === state.selectedTopic) redescribe();
  if (e.consumerId && state.cards.has(e.consumerId) && (e.type.startsWith('consumer.') || e.type === 'group.rebalanced')) refreshConsumer(e.consumerId);
  // A consumer started elsewhere (klab, another tab, a student the instructor sees): its card too.
  // Not while this page starts one: its card comes from the answer, once the consumer is ready (a
  // card made from the list may say running before the first assignment, and a message produced at
  // once would be missed by a share group starting at the latest offset).
  if (e.type === 'consumer.started' && !state.cards.has(e.consumerId)) {
    if (state.startingConsumers) state.startedMeanwhile = true;
    else reloadConsumers();
  }
  // An acknowledgement made elsewhere (klab ack, another tab) ends the record's buttons here too.
  if (e.type === 'share.acknowledged' && state.cards.has(e.consumerId)) {
    const card = state.cards.get(e.consumerId);
    // This page's own acknowledgements were marked from their answer; the event may come after a new delivery.
    if (!card.own.claims(say.ackKindOf(e), e)) markAcknowledged(card, e.topic, e.partition, e.offsets, say.ackKindOf(e));
  }
  // What the share group did with a record, on the cards it concerns (the consumer it came back to;
  // an archived record names only its group), like klab's % lines.
  if (e.type === 'share.redelivered' || e.type === 'share.archived') {
    for (const card of state.cards.values()) {
      const concerned = e.type === 'share.redelivered' ? card.consumer.id === e.consumerId : card.consumer.protocol === 'share' && card.consumer.groupId === e.groupId;
      if (concerned) addLine(card, h('li', { class: 'notice', testid: 'consumer-share-event', dataset: { type: e.type } }, `% ${say.shareEventText(e)}`));
    }
  }
  if (e.type.startsWith('node.') && !state.socket) loadCluster().catch(showError);
  reactToClass(e);
  tell('onEvent', e);
}

function filterTimeline() {
  const f = $('timeline-filter').value;
  for (const li of $('timeline').children) li.hidden = !shownBy(f, li.dataset.type);
}

const pageEvents = async (after) => {
  const res = await api('GET', `/events?after=${after}`);
  return { items: res.events || [], next: res.next };
};

// ---------------------------------------------------------------------------------------- live link

function setLive(text, cls) {
  $('live').textContent = text;
  $('live').className = `badge ${cls}`;
}

function connectLive() {
  if (typeof io !== 'function') {
    // No socket.io client (page opened without the lab server): poll instead of going silent.
    setLive('polling (no live link)', 'warn');
    setInterval(() => {
      loadCluster().catch(() => {});
      state.timeline.backfill(pageEvents).catch(() => {});
    }, 3000);
    return;
  }
  const socket = io('/lab', { auth: { token: state.token } });
  const link = new LabClient.LiveLink(socket);
  state.socket = socket;
  state.link = link;
  let followed = false;
  link.on('connect', async () => {
    setLive('live', 'ok');
    try {
      if (!followed) {
        // The timeline was read over HTTP; the subscription goes on from its last event, the cards
        // from each consumer's creation. After a reconnect the link resumes them from where they were.
        // Marked only once both are answered: a drop before that rejects them, and the next connect
        // follows them again.
        // `progress` ticks the lab's steps (and the instructor's roster) as checkpoints pass.
        await Promise.all([link.follow({ events: true, after: state.timeline.last }), link.follow({ cluster: true }), link.follow({ progress: true, after: state.timeline.last })]);
        followed = true;
      }
      // Cards that appeared while the link was down are followed now (the others are resumed by the link).
      for (const card of state.cards.values()) if (!TERMINAL.includes(card.consumer.state)) follow(card);
      // The cluster view and the lists are not replayed: read them again.
      await Promise.all([loadCluster(), loadTopics(), loadConsumers()]);
      tell('onConnect');
    } catch (e) {
      showError(e);
    }
  });
  link.on('fatal', async (e) => {
    setLive('offline', 'bad');
    // The server's sentence as it is: the same one a REST call then gets shows once.
    showError(new Error(e.message));
    // Removed from the class, or the token replaced: the token is dead for REST too (401), so it is
    // forgotten and the join screen shows. Too many live connections: the token still works and the
    // page stays, without live updates.
    try {
      await api('GET', '/me');
    } catch (err) {
      if (err.status === 401) localStorage.removeItem('klab-token');
    }
  });
  link.on('notice', (text) => {
    if (/^live connection lost/.test(text)) setLive('reconnecting…', 'warn');
    else if (/dropped/.test(text)) showError(new Error('The live link fell behind and was reset; the page caught up from the server.'));
    else if (/^resubscribing/.test(text)) showError(new Error(`Live updates stopped for part of the page (${text}); reload the page.`));
  });
  socket.on('connect_error', (err) => {
    setLive('offline', 'bad');
    if (!socket.active) { showError(new Error(`live updates refused: ${err.message}`)); showLogin(); }
  });
  link.on('cluster', renderCluster);
  link.on('progress', (e) => { markPassed(e); tell('onProgress', e); });
  link.on('event', (e) => {
    state.timeline.push(e);
    react(e);
  });
  link.on('message', (m) => {
    const card = state.cards.get(m.consumerId);
    if (!card) return;
    card.stream.push(m);
    const assigned = (card.consumer.assignment || []).some((a) => a.topic === m.topic && (a.partitions || []).includes(m.partition));
    if (!assigned || card.consumer.state !== 'running') refreshCard(m.consumerId);
  });
  link.on('rebalance', (e) => {
    const card = state.cards.get(e.consumerId);
    if (!card) return;
    const dataset = e.memberEpoch != null ? { epoch: e.memberEpoch } : null;
    addLine(card, h('li', { class: 'notice', testid: 'consumer-rebalance', dataset }, `% ${say.rebalanceText(e)}`));
    refreshConsumer(e.consumerId);
  });
}

// ------------------------------------------------------------------------------------- sign in, boot

function showLogin() {
  $('joined').hidden = true;
  $('login').hidden = false;
  $('app').hidden = true;
  $('logout').hidden = true;
}

function readToken() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    localStorage.setItem('klab-token', decodeURIComponent(m[1]));
    // Keep the token out of the address bar (and out of screenshots shared with the class).
    history.replaceState(null, '', location.pathname + location.search);
  }
  return localStorage.getItem('klab-token');
}

async function start() {
  state.token = readToken();
  if (!state.token) return showLogin();
  let me;
  try {
    me = await api('GET', '/me');
  } catch (e) {
    showError(e);
    return showLogin();
  }
  applyRole(me);
  tell('mount');
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  // A pass read back from the timeline ticks too: the lab may have been read just before it.
  state.timeline = new LabClient.SeqStream((e) => { addEvent(e); markPassed(e); });
  await Promise.all([loadCluster(), loadTopics(), loadConsumers(), loadRoster(), loadClass(), loadLabs(), loadKafkaPanel(), state.timeline.backfill(pageEvents)].map((p) => p.catch(showError)));
  connectLive();
}

function wire() {
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    localStorage.setItem('klab-token', $('login-token').value.trim());
    location.reload();
  });
  wireClass();
  wireLabs();
  wireKafkaPanel();
  $('logout').addEventListener('click', () => {
    if (!confirmSignOut(localStorage.getItem('klab-token'))) return;
    localStorage.removeItem('klab-token');
    location.reload();
  });
  $('broker-add').addEventListener('click', () => act($('broker-add'), async () => {
    const res = await api('POST', '/cluster/brokers', {});
    if (res && (res.brokers || res.controllers)) renderCluster(res);
    else await loadCluster();
  }));
  for (const a of ['start', 'stop', 'reset']) $(`cluster-${a}`).addEventListener('click', () => clusterAction(a));
  $('topic-form').addEventListener('submit', createTopic);
  $('topic-refresh').addEventListener('click', () => act($('topic-refresh'), () => describeTopic()));
  $('topic-elect').addEventListener('click', () => act($('topic-elect'), async () => describeTopic(await api('POST', `/topics/${encodeURIComponent(state.selectedTopic)}/elect-leaders`))));
  $('topic-delete').addEventListener('click', () => act($('topic-delete'), async () => {
    if (!confirm(`Delete topic ${state.selectedTopic} and all its messages?`)) return;
    await api('DELETE', `/topics/${encodeURIComponent(state.selectedTopic)}`);
    state.selectedTopic = null;
    $('describe').hidden = true;
    await loadTopics();
  }));
  $('producer-form').addEventListener('submit', produce);
  $('consumer-form').addEventListener('submit', startConsumer);
  // Acknowledgement modes exist for share groups only.
  $('consumer-protocol').addEventListener('change', () => { $('consumer-ack').disabled = $('consumer-protocol').value !== 'share'; });
  $('timeline-filter').addEventListener('change', filterTimeline);
}

wire();
start();
