// The rebalance swimlane of the group the group view shows: time on x, a lane per member (consumer),
// a bar for each stretch it owned the same partitions, and a gap where it owned nothing while in the
// group: an eager (classic) rebalance revokes everything, so every member shows one; a KIP-848 member
// that keeps partitions shows none. Built from group.rebalanced events (`owned`: what the member held
// after each one; `revoked`: what it gave up), read back with `after` for the history, then live.
'use strict';

const Swimlane = (() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const TYPES = ['group.rebalanced', 'consumer.started', 'consumer.stopped', 'consumer.killed', 'consumer.crashed'];
  /** An eager rebalance's revocation is drawn from its trigger, but never longer before it than this. */
  const MAX_REVOKE_MS = 3000;
  /** An eager revocation with no trigger in sight is drawn this long. */
  const SHORT_GAP_MS = 300;
  const LANE_H = 30;
  const LABEL_W = 150;
  const view = { el: null, group: null, events: new Map(), ticket: 0, frame: 0 };

  function mount() {
    view.el = h('section', { class: 'panel wide', id: 'swim-panel', testid: 'swim-panel' },
      h('h2', null, 'Rebalances ', h('span', { id: 'swim-group', class: 'muted', testid: 'swim-group' })),
      h('div', { id: 'swim', class: 'swim', testid: 'swim' }),
      h('p', { class: 'legend muted' }, h('span', { class: 'cell-key bar' }, ' '), ' partitions owned (labelled) ',
        h('span', { class: 'cell-key gap' }, ' '), ' owned nothing while in the group ', h('span', { class: 'cell-key joining' }, ' '), ' joining'));
    $('group-panel').after(view.el);
    window.addEventListener('resize', schedule);
  }

  const owns = (tps) => (tps || []).reduce((n, tp) => n + tp.partitions.length, 0);
  const keysOf = (tps) => new Set((tps || []).flatMap((tp) => tp.partitions.map((p) => `${tp.topic}:${p}`)));
  const label = (tps) => (tps || []).map((tp) => `${tp.topic} [${tp.partitions.join(',')}]`).join(' ');

  /** The group the group view shows: its history is read, then live events add to it. */
  async function onGroup(id) {
    view.group = id;
    view.events = new Map();
    $('swim-group').textContent = id ? `of ${id}` : '';
    const ticket = ++view.ticket;
    let after = 0;
    try {
      for (;;) {
        const res = await api('GET', `/events?after=${after}&types=${TYPES.join(',')}&limit=5000`);
        if (ticket !== view.ticket) return;
        for (const e of res.events || []) if (e.groupId === id) view.events.set(e.seq, e);
        if (!res.events || !res.events.length || res.next == null || res.next <= after) break;
        after = res.next;
      }
    } catch (e) {
      showError(e);
    }
    schedule();
  }

  function onEvent(e) {
    if (!view.group || e.groupId !== view.group || !TYPES.includes(e.type)) return;
    view.events.set(e.seq, e);
    schedule();
  }

  /** Redraws once per frame, however many events came. */
  function schedule() {
    if (view.frame) return;
    view.frame = requestAnimationFrame(() => { view.frame = 0; draw(); });
  }

  /**
   * Each member's story as spans: { kind: 'joining' | 'bar' | 'gap', from, to, owned }. A member's lane
   * starts with its consumer.started (or its first rebalance) and ends with its stop; `to` null: still so.
   */
  function lanes() {
    const events = [...view.events.values()].sort((a, b) => a.seq - b.seq);
    const members = new Map();
    let trigger = null; // the time of the group's latest membership change
    for (const e of events) {
      const t = Date.parse(e.time);
      const id = e.consumerId || e.memberId;
      if (!id) continue;
      let m = members.get(id);
      if (!m) { m = { id, spans: [], owned: [], start: t, ended: false, assignedOnce: false }; members.set(id, m); }
      const cur = m.spans[m.spans.length - 1];
      if (e.type === 'consumer.started') {
        trigger = t;
        m.start = t;
        m.spans.push({ kind: 'joining', from: t, to: null });
        continue;
      }
      if (e.type !== 'group.rebalanced') {
        // Stopped, killed, crashed: the lane ends here.
        trigger = t;
        if (cur && cur.to == null) cur.to = t;
        m.ended = true;
        continue;
      }
      if (m.ended) continue;
      const before = keysOf(m.owned);
      const revoked = keysOf(e.revoked);
      const kept = [...before].filter((k) => !revoked.has(k));
      if (cur && cur.to == null) cur.to = t;
      if (before.size && !kept.length && owns(e.owned)) {
        // Eager: everything was given up before the new set came. Drawn from what triggered it (a member
        // joining or leaving during the bar, at most MAX_REVOKE_MS back); otherwise (a coordinator move)
        // a short mark before the event.
        const since = cur ? cur.from : t;
        const from = trigger != null && trigger > since && trigger <= t ? Math.max(trigger, t - MAX_REVOKE_MS) : Math.max(since, t - SHORT_GAP_MS);
        if (cur) cur.to = from;
        m.spans.push({ kind: 'gap', from, to: t, eager: true });
      } else if (!m.spans.length && !owns(e.owned)) {
        m.spans.push({ kind: 'joining', from: m.start, to: t });
      }
      if (owns(e.owned)) {
        m.spans.push({ kind: 'bar', from: t, to: null, owned: e.owned });
        m.assignedOnce = true;
      } else if (m.assignedOnce) {
        // Holds nothing now: a gap until it is given something, or its lane ends (its stop closes it).
        m.spans.push({ kind: 'gap', from: t, to: null });
      } else {
        m.spans.push({ kind: 'joining', from: t, to: null });
      }
      m.owned = e.owned || [];
    }
    // A gap closed by the member's own stop was its leaving, not a gap.
    for (const m of members.values()) {
      m.spans = m.spans.filter((s) => s.to == null || s.to > s.from || s.kind !== 'joining');
      const last = m.spans[m.spans.length - 1];
      if (m.ended && last && last.kind === 'gap' && !last.eager) m.spans.pop();
    }
    return [...members.values()];
  }

  /** One topic: its partitions are enough on the bar (the topic is in the tooltip). */
  const short = (tps) => ((tps || []).length === 1 ? `[${tps[0].partitions.join(',')}]` : label(tps));
  /** The text cut to about `px` pixels (11px sans: ~6.5px a character). */
  const fit = (text, px) => { const n = Math.floor(px / 6.5); return text.length <= n ? text : `${text.slice(0, Math.max(1, n - 1))}…`; };

  function el(tag, attrs, ...children) {
    const n = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) n.setAttribute(k, v);
    for (const c of children) if (c != null) n.append(c);
    return n;
  }

  function draw() {
    const box = $('swim');
    if (!box) return;
    const ms = lanes();
    if (!ms.length) {
      box.replaceChildren(h('p', { class: 'muted' }, view.group ? 'No rebalances of this group yet.' : 'Pick a group above.'));
      return;
    }
    const times = ms.flatMap((m) => m.spans.flatMap((s) => [s.from, s.to]).filter((x) => x != null));
    const t0 = Math.min(...times);
    const t1 = Math.max(...times, Date.now());
    const width = Math.max(320, box.clientWidth || 900);
    const plotW = width - LABEL_W - 10;
    const x = (t) => LABEL_W + ((t - t0) / Math.max(1, t1 - t0)) * plotW;
    const height = ms.length * LANE_H + 24;
    const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `rebalances of group ${view.group}: ${ms.length} member(s)`, 'data-testid': 'swim-svg' },
      el('defs', null, el('pattern', { id: 'swim-hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
        el('rect', { width: 6, height: 6, fill: '#fde7e7' }), el('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#c62828', 'stroke-width': 2 }))));
    ms.forEach((m, i) => {
      const y = i * LANE_H + 4;
      const colour = laneColour(m.id);
      const g = el('g', { 'data-testid': 'swim-lane', 'data-consumer-id': m.id, 'data-ended': String(m.ended) },
        el('text', { x: 4, y: y + LANE_H / 2 + 4, class: 'swim-label' }, laneName(m.id).slice(0, 20)));
      for (const s of m.spans) {
        const from = x(s.from);
        const to = x(s.to == null ? t1 : s.to);
        const w = Math.max(s.kind === 'gap' ? 6 : 2, to - from);
        const title = el('title', null, `${laneName(m.id)}: ${s.kind === 'bar' ? `owned ${label(s.owned)}` : s.kind === 'gap' ? (s.eager ? 'owned nothing: eager rebalance revoked everything' : 'owned nothing') : 'joining'} from ${clock(new Date(s.from).toISOString())}${s.to ? ` to ${clock(new Date(s.to).toISOString())}` : ''}`);
        if (s.kind === 'bar') {
          g.append(el('rect', { x: from, y: y + 3, width: w, height: LANE_H - 8, rx: 3, fill: colour, 'data-testid': 'swim-bar', 'data-consumer-id': m.id, 'data-partitions': label(s.owned) }, title),
            w > 24 ? el('text', { x: from + 4, y: y + LANE_H / 2 + 3, class: 'swim-bar-label' }, fit(short(s.owned), w - 8)) : null);
        } else if (s.kind === 'gap') {
          g.append(el('rect', { x: from - (w > to - from ? w / 2 : 0), y: y + 3, width: w, height: LANE_H - 8, fill: 'url(#swim-hatch)', stroke: '#c62828', 'data-testid': 'swim-gap', 'data-consumer-id': m.id, 'data-eager': String(Boolean(s.eager)) }, title));
        } else {
          g.append(el('line', { x1: from, x2: from + w, y1: y + LANE_H / 2, y2: y + LANE_H / 2, stroke: colour, 'stroke-dasharray': '3 3', 'data-testid': 'swim-join', 'data-consumer-id': m.id }, title));
        }
      }
      svg.append(g);
    });
    // The time axis: a few clock ticks.
    const axisY = ms.length * LANE_H + 8;
    svg.append(el('line', { x1: LABEL_W, x2: LABEL_W + plotW, y1: axisY, y2: axisY, stroke: '#99a' }));
    for (let k = 0; k <= 4; k++) {
      const t = t0 + ((t1 - t0) * k) / 4;
      svg.append(el('text', { x: x(t), y: axisY + 13, 'text-anchor': k === 0 ? 'start' : k === 4 ? 'end' : 'middle', class: 'swim-tick' }, clock(new Date(t).toISOString()).slice(0, 8)));
    }
    box.replaceChildren(svg);
  }

  return { mount, onGroup, onEvent };
})();
