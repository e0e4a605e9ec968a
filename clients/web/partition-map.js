// The partition map: a topic's partitions × the cluster's brokers. Each cell says what that broker is
// for that partition (leader, in-sync replica, out-of-sync replica, nothing). A broker that is not
// running greys its column as soon as the `cluster` push says so; a leader or ISR change flashes the
// cells it touched as its partition.* event arrives. Uses app.js's helpers (h, api, act, state, ...).
'use strict';

const PartitionMap = (() => {
  /** How long a touched cell stays marked (its CSS animation runs once). */
  const TOUCH_MS = 1500;
  const view = { el: null, topic: null, desc: null, brokers: [], menuFor: null, touched: new Map(), loading: 0 };

  /** A dataset without its null entries (h() would write them as "null"). */
  const compact = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v != null));

  function mount() {
    view.el = h('section', { class: 'panel wide', id: 'pmap-panel', testid: 'pmap-panel' },
      h('h2', null, h('label', { for: 'pmap-topic' }, 'Partition map'),
        h('select', { id: 'pmap-topic', testid: 'pmap-topic' }),
        h('span', { id: 'pmap-summary', class: 'muted', testid: 'pmap-summary', 'aria-live': 'polite' })),
      h('div', { class: 'scroll-x' }, h('table', { class: 'pmap', id: 'pmap', testid: 'pmap' })),
      h('div', { id: 'pmap-menu', class: 'pmap-menu row', testid: 'pmap-menu', hidden: true }),
      h('p', { class: 'legend muted' },
        h('span', { class: 'cell-key leader' }, 'L'), ' leader ',
        h('span', { class: 'cell-key insync' }, '●'), ' in-sync replica ',
        h('span', { class: 'cell-key outsync' }, '○'), ' replica out of sync ',
        h('span', { class: 'cell-key down' }, ' '), ' broker not running'));
    $('cluster-panel').after(view.el);
    $('pmap-topic').addEventListener('change', () => show($('pmap-topic').value));
    view.el.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeMenu(); });
  }

  /** The topic list changed (GET /api/topics): the picker follows; the first topic is shown if none is. */
  function onTopics(topics) {
    const select = $('pmap-topic');
    if (!select) return;
    const names = topics.map((t) => t.name);
    select.replaceChildren(...(names.length ? names : ['']).map((n) => h('option', { value: n }, n || 'no topics yet')));
    if (view.topic && names.includes(view.topic)) select.value = view.topic;
    else if (names.length) show(names[0]);
    else { view.topic = null; view.desc = null; draw(); }
  }

  async function show(name) {
    if (!name) return;
    view.topic = name;
    if ($('pmap-topic').value !== name) $('pmap-topic').value = name;
    await load();
  }

  async function load() {
    const name = view.topic;
    if (!name) return;
    const ticket = ++view.loading;
    try {
      const d = await api('GET', `/topics/${encodeURIComponent(name)}`);
      // A newer read (or another topic) won meanwhile.
      if (ticket !== view.loading || name !== view.topic) return;
      view.desc = d;
      draw();
    } catch (e) {
      if (e.status === 404) { view.desc = null; draw(); } else showError(e);
    }
  }
  /** Coalesces bursts (an ISR change per partition) into one read. */
  function reload() {
    clearTimeout(view.reloadTimer);
    view.reloadTimer = setTimeout(load, 300);
  }

  /** The `cluster` push (or GET /api/cluster): columns and their state, redrawn at once. */
  function onCluster(c) {
    view.brokers = (c.brokers || []).map((b) => ({ id: b.id, state: b.state }));
    draw();
    // A node's state changed: the partitions' leaders and ISRs follow shortly, as events; read them anyway.
    if (view.topic) reload();
  }

  /** A timeline event: a partition.* event of the shown topic is applied at once, then read back. */
  function onEvent(e) {
    if (e.topic !== view.topic || !view.desc) return;
    if (e.type === 'topic.deleted') { view.desc = null; draw(); return; }
    if (!e.type.startsWith('partition.')) return;
    const p = view.desc.partitions.find((x) => x.partition === e.partition);
    if (p) {
      const now = Date.now();
      const touch = (b) => b != null && view.touched.set(`${e.partition}:${b}`, now);
      if (e.type === 'partition.leader-changed') {
        p.leader = e.to;
        touch(e.from);
        touch(e.to);
      } else {
        const before = new Set(e.previous || p.isr);
        const after = new Set(e.isr || []);
        p.isr = e.isr || [];
        for (const b of new Set([...before, ...after])) if (before.has(b) !== after.has(b)) touch(b);
      }
      draw();
    }
    reload();
  }

  function columns() {
    const ids = new Set(view.brokers.map((b) => b.id));
    // A replica on a broker the cluster does not list (external clusters): a column too.
    for (const p of (view.desc && view.desc.partitions) || []) for (const r of p.replicas) ids.add(r);
    return [...ids].sort((a, b) => a - b).map((id) => view.brokers.find((b) => b.id === id) || { id, state: 'unknown' });
  }

  function header(b) {
    const down = b.state !== 'running';
    const label = [`broker ${b.id}`, h('span', { class: `state s-${b.state}` }, b.state)];
    const attrs = { testid: 'pmap-broker', dataset: { broker: b.id, state: b.state, down }, class: down ? 'down' : null, scope: 'col' };
    if (!mayControlNodes()) return h('th', { ...attrs, title: 'the instructor can allow students to control nodes' }, label);
    return h('th', attrs, h('button', { type: 'button', class: 'linkish', testid: 'pmap-broker-button', 'aria-haspopup': 'true', 'aria-expanded': String(view.menuFor === b.id), title: `actions for broker ${b.id}`, onclick: () => toggleMenu(b.id) }, label));
  }

  function cell(p, b) {
    const replica = p.replicas.includes(b.id);
    const role = p.leader === b.id ? 'leader' : replica ? 'replica' : 'none';
    const insync = replica && p.isr.includes(b.id);
    const offline = replica && (p.offlineReplicas || []).includes(b.id);
    const touchedAt = view.touched.get(`${p.partition}:${b.id}`);
    const touched = touchedAt && Date.now() - touchedAt < TOUCH_MS;
    const cls = [role === 'leader' ? 'leader' : replica ? (insync ? 'insync' : 'outsync') : 'empty', b.state !== 'running' ? 'down' : null, touched ? 'touched' : null].filter(Boolean).join(' ');
    const text = role === 'leader' ? 'L' : replica ? (insync ? '●' : '○') : '';
    const title = role === 'none' ? `broker ${b.id} holds no replica of partition ${p.partition}`
      : `partition ${p.partition} on broker ${b.id}: ${role === 'leader' ? 'leader' : 'follower'}, ${insync ? 'in sync' : 'out of sync'}${offline ? ', offline' : ''}`;
    return h('td', { class: cls, title, testid: 'pmap-cell', dataset: compact({ partition: p.partition, broker: b.id, role, insync: replica ? insync : null, touched: touched ? 'true' : null }) }, text);
  }

  function draw() {
    const table = $('pmap');
    if (!table) return;
    const d = view.desc;
    if (!d) {
      table.replaceChildren(h('tbody', null, h('tr', null, h('td', { class: 'muted' }, view.topic ? `topic ${view.topic} is gone` : 'No topic to show yet.'))));
      $('pmap-summary').textContent = '';
      drawMenu();
      return;
    }
    const cols = columns();
    const offline = d.partitions.filter((p) => p.leader == null).length;
    const shrunk = d.partitions.filter((p) => p.leader != null && p.isr.length < p.replicas.length).length;
    $('pmap-summary').textContent = `${d.partitions.length} partition(s), replication factor ${d.replicationFactor}` +
      (offline ? ` · ${offline} offline` : '') + (shrunk ? ` · ${shrunk} under-replicated` : '');
    $('pmap-summary').dataset.offline = offline;
    table.replaceChildren(
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'partition'), cols.map(header))),
      h('tbody', null, d.partitions.map((p) => {
        const off = p.leader == null;
        return h('tr', { testid: 'pmap-row', class: off ? 'offline' : p.isr.length < p.replicas.length ? 'shrunk' : null, dataset: { partition: p.partition, leader: off ? 'none' : p.leader, offline: off } },
          h('th', { scope: 'row' }, p.partition, off ? h('span', { class: 'tag bad', testid: 'pmap-offline' }, 'offline') : null),
          cols.map((b) => cell(p, b)));
      })));
    drawMenu();
  }

  // ------------------------------------------------------------------ a broker's actions (menu)

  function toggleMenu(id) {
    view.menuFor = view.menuFor === id ? null : id;
    draw();
    const first = $('pmap-menu').querySelector('button:not(:disabled)');
    if (first) first.focus();
  }

  function closeMenu() {
    if (view.menuFor == null) return;
    const id = view.menuFor;
    view.menuFor = null;
    draw();
    const back = view.el.querySelector(`[data-testid=pmap-broker][data-broker="${id}"] button`);
    if (back) back.focus();
  }

  function drawMenu() {
    const menu = $('pmap-menu');
    const b = view.brokers.find((x) => x.id === view.menuFor);
    if (!b || !mayControlNodes()) { menu.hidden = true; menu.replaceChildren(); return; }
    const s = b.state;
    const can = nodeActionsFor(s);
    menu.hidden = false;
    menu.dataset.broker = b.id;
    menu.replaceChildren(h('strong', null, `broker ${b.id}`), h('span', { class: `state s-${s}` }, s),
      ...Object.keys(can).map((a) => {
        const btn = h('button', { type: 'button', testid: 'pmap-action', dataset: { action: a }, class: a === 'kill' ? 'danger' : null }, a);
        btn.disabled = !can[a];
        btn.addEventListener('click', () => act(btn, async () => {
          const res = await api('POST', `/cluster/nodes/${b.id}/${a}`);
          if (res && (res.brokers || res.controllers)) renderCluster(res);
        }));
        return btn;
      }),
      h('button', { type: 'button', testid: 'pmap-menu-close', title: 'close (Esc)', onclick: closeMenu }, '×'));
  }

  return { mount, onTopics, onCluster, onEvent, show, reload: load };
})();
