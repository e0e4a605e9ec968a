// The group view: a consumer group's members as coloured lanes holding their partitions, and per
// partition the committed offset, the end offset and the lag (share groups: the start offset and the
// records in flight). GET /api/groups/{id} is read again when an event says something changed (a
// rebalance, a consumer starting or stopping, messages consumed or produced), never on a timer.
// Uses app.js's helpers (h, api, state, showError, tell).
'use strict';

/** One colour per member, the same in the group view and the swimlane (by the member's key). */
const LANE_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
const laneColours = new Map();
function laneColour(key) {
  if (!laneColours.has(key)) laneColours.set(key, LANE_COLOURS[laneColours.size % LANE_COLOURS.length]);
  return laneColours.get(key);
}
/** What a lane is called: the consumer's name when this page knows it, else its id. */
function laneName(consumerId, fallback) {
  const card = consumerId && state.cards.get(consumerId);
  return (card && card.consumer.name) || consumerId || fallback || '?';
}

const GroupView = (() => {
  const view = { el: null, group: null, desc: null, groups: [], ticket: 0, timer: null, listTimer: null };
  /** Events that may change a group's members or offsets. */
  const CHANGES = /^(group\.rebalanced|consumer\.|share\.|messages\.consumed)/;

  function mount() {
    view.el = h('section', { class: 'panel wide', id: 'group-panel', testid: 'gview-panel' },
      h('h2', null, h('label', { for: 'gview-group' }, 'Consumer group'),
        h('select', { id: 'gview-group', testid: 'gview-group' }),
        h('span', { id: 'gview-summary', class: 'muted', testid: 'gview-summary', 'aria-live': 'polite' })),
      h('div', { id: 'gview-lanes', class: 'lanes', testid: 'gview-lanes' }),
      h('div', { class: 'scroll-x' }, h('table', { id: 'gview-offsets', class: 'offsets', testid: 'gview-offsets' })));
    $('consumers-panel').after(view.el);
    $('gview-group').addEventListener('change', () => select($('gview-group').value));
  }

  async function loadGroups() {
    try {
      view.groups = await api('GET', '/groups');
    } catch (e) {
      return showError(e);
    }
    const picker = $('gview-group');
    const ids = view.groups.map((g) => g.groupId).sort();
    if (view.group && !ids.includes(view.group)) ids.unshift(view.group);
    picker.replaceChildren(...(ids.length ? ids : ['']).map((id) => h('option', { value: id }, id || 'no groups yet')));
    if (view.group) picker.value = view.group;
    else if (ids.length) select(ids[0]);
  }
  function reloadGroups() {
    clearTimeout(view.listTimer);
    view.listTimer = setTimeout(loadGroups, 400);
  }

  /** Shows a group (the picker, or a test's selectOption). */
  function select(id) {
    if (!id || id === view.group) return;
    view.group = id;
    view.desc = null;
    if ($('gview-group').value !== id) {
      if (![...$('gview-group').options].some((o) => o.value === id)) $('gview-group').append(h('option', { value: id }, id));
      $('gview-group').value = id;
    }
    tell('onGroup', id);
    load();
  }

  async function load() {
    const id = view.group;
    if (!id) return;
    const ticket = ++view.ticket;
    try {
      const d = await api('GET', `/groups/${encodeURIComponent(id)}`);
      if (ticket !== view.ticket || id !== view.group) return;
      view.desc = d;
      tell('onGroupOffsets', d);
    } catch (e) {
      if (ticket !== view.ticket) return;
      if (e.status !== 404) return showError(e);
      view.desc = null;
    }
    draw();
  }
  function reload() {
    clearTimeout(view.timer);
    view.timer = setTimeout(load, 400);
  }

  function onEvent(e) {
    if (e.groupId && e.type === 'consumer.started' && !view.groups.some((g) => g.groupId === e.groupId)) reloadGroups();
    if (!view.group) return;
    if (e.groupId === view.group && CHANGES.test(e.type)) reload();
    // New messages on a topic the group reads (its lag grew), or a new leader there (offsets Kafka
    // could not tell while the partition had none can be read again).
    else if ((e.type === 'messages.produced' || e.type.startsWith('partition.')) && view.desc && (view.desc.offsets || []).some((o) => o.topic === e.topic)) reload();
  }

  const key = (m) => m.consumerId || m.memberId;

  function lane(m, owners) {
    const colour = laneColour(key(m));
    const parts = (m.assignment || []).flatMap((a) => a.partitions.map((p) => ({ topic: a.topic, partition: p })));
    for (const p of parts) owners.set(`${p.topic}:${p.partition}`, m);
    return h('div', { class: 'lane', testid: 'gview-lane', tabindex: 0, style: `--lane: ${colour}`, dataset: { consumerId: m.consumerId || '', memberId: m.memberId, partitions: parts.length },
      'aria-label': `${laneName(m.consumerId, m.clientId)} holds ${parts.length ? parts.map((p) => `${p.topic} partition ${p.partition}`).join(', ') : 'nothing'}` },
      h('span', { class: 'lane-name' }, h('span', { class: 'swatch' }), laneName(m.consumerId, m.clientId),
        m.memberEpoch != null ? h('span', { class: 'muted' }, ` epoch ${m.memberEpoch}`) : null,
        m.external ? h('span', { class: 'muted', testid: 'gview-external' }, ` external${m.clientHost ? `, ${m.clientHost}` : ''}`) : null),
      h('span', { class: 'chips' }, parts.length ? parts.map((p) => h('span', { class: 'chip', testid: 'gview-chip', dataset: { topic: p.topic, partition: p.partition } }, `${p.topic} [${p.partition}]`))
        : h('span', { class: 'muted' }, 'holds nothing')));
  }

  function draw() {
    const d = view.desc;
    if (!d) {
      $('gview-summary').textContent = view.group ? `group ${view.group}: not found (empty or gone)` : '';
      $('gview-lanes').replaceChildren();
      $('gview-offsets').replaceChildren();
      return;
    }
    const share = d.type === 'share';
    $('gview-summary').textContent = `${d.type || 'classic'} · ${d.state}${d.groupEpoch != null ? ` · group epoch ${d.groupEpoch}` : ''} · ${d.members.length} member(s)`;
    const owners = new Map();
    const members = [...d.members].sort((a, b) => String(key(a)).localeCompare(String(key(b))));
    $('gview-lanes').replaceChildren(...(members.length ? members.map((m) => lane(m, owners)) : [h('p', { class: 'muted' }, 'No members: nobody reads with this group now.')]));
    const rows = d.offsets || [];
    const most = Math.max(1, ...rows.map((o) => (share ? o.inFlight : o.lag) || 0));
    const head = share ? ['topic', 'partition', 'held by', 'start offset', 'end offset', 'in flight'] : ['topic', 'partition', 'held by', 'committed', 'end offset', 'lag'];
    $('gview-offsets').replaceChildren(
      h('thead', null, h('tr', null, head.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, rows.map((o) => {
        const owner = owners.get(`${o.topic}:${o.partition}`);
        const behind = share ? o.inFlight : o.lag;
        const dataset = share ? { topic: o.topic, partition: o.partition, start: o.startOffset, latest: o.latest, inFlight: o.inFlight }
          : { topic: o.topic, partition: o.partition, committed: o.committed, latest: o.latest, lag: o.lag };
        return h('tr', { testid: 'gview-offset', dataset: Object.fromEntries(Object.entries(dataset).filter(([, v]) => v != null)) },
          h('td', null, o.topic), h('td', null, o.partition),
          h('td', null, owner ? [h('span', { class: 'swatch', style: `--lane: ${laneColour(key(owner))}` }), laneName(owner.consumerId, owner.clientId)] : h('span', { class: 'muted' }, share ? 'shared' : 'nobody')),
          h('td', null, (share ? o.startOffset : o.committed) ?? '–'), h('td', null, o.latest ?? '–'),
          h('td', { class: 'lag' }, behind ?? '–', behind ? h('span', { class: 'lagbar', style: `width: ${Math.round((60 * behind) / most)}px` }) : null));
      })));
  }

  return { mount, onEvent, select, reload: load, loadGroups, onConnect: loadGroups };
})();
