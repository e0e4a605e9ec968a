// Rates: per topic, messages produced and consumed per second (from messages.produced and
// messages.consumed events as they arrive), and the lag of the group the group view shows (from its
// reads of GET /api/groups/{id}), as small live uPlot charts. Nothing here asks the server: the window
// slides once a second locally while something happened in it.
'use strict';

const Rates = (() => {
  /** Seconds of history a chart shows. */
  const WINDOW_S = 120;
  /** At most this many topic charts (the most recently active). */
  const MAX_TOPICS = 6;
  const view = { el: null, topics: new Map(), lag: null, ticker: null, lastActivity: 0 };

  function mount() {
    view.el = h('section', { class: 'panel wide', id: 'rates-panel', testid: 'rates-panel' },
      h('h2', null, 'Rates ', h('span', { class: 'muted' }, `messages per second, last ${WINDOW_S / 60} minutes`)),
      h('div', { id: 'rates', class: 'rates', testid: 'rates' }, h('p', { class: 'muted', id: 'rates-empty' }, 'Nothing produced or consumed since this page opened.')));
    $('swim-panel').after(view.el);
    window.addEventListener('resize', () => { for (const c of charts()) resize(c); });
    document.addEventListener('visibilitychange', () => (document.hidden ? stop() : tick()));
  }

  const charts = () => [...view.topics.values(), view.lag].filter(Boolean);
  const nowS = () => Math.floor(Date.now() / 1000);

  /** A chart card: per-second buckets of its series, drawn by uPlot. */
  function card(id, title, series, testid, dataset) {
    const plot = h('div', { class: 'rates-plot' });
    const totals = h('div', { class: 'muted rates-totals' });
    const el = h('figure', { class: 'rates-card', testid, dataset }, h('figcaption', null, title), plot, totals);
    $('rates-empty')?.remove();
    $('rates').append(el);
    const c = { id, el, plot, totals, names: series.map((s) => s.label), buckets: series.map(() => new Map()), u: null };
    c.u = new uPlot({
      width: width(el), height: 110,
      scales: { x: { time: true } },
      axes: [{ space: 60, size: 28 }, { size: 42 }],
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.colour, width: 2, fill: s.fill, points: { show: false } }))],
    }, data(c), plot);
    return c;
  }

  const width = (el) => Math.max(220, Math.min(560, (el.clientWidth || $('rates').clientWidth || 320) - 4));
  const resize = (c) => c.u.setSize({ width: width(c.el), height: 110 });

  /** The window's x (seconds) and one y array per series; a gauge keeps its last value between samples. */
  function data(c) {
    const end = nowS();
    const xs = [];
    for (let t = end - WINDOW_S; t <= end; t++) xs.push(t);
    return [xs, ...c.buckets.map((b, i) => {
      if (!c.gauge) return xs.map((t) => b.get(t) || 0);
      let last = null;
      const firstKnown = Math.min(...b.keys());
      return xs.map((t) => (b.has(t) ? (last = b.get(t)) : t < firstKnown ? null : last ?? (last = latestBefore(b, t))));
    })];
  }
  const latestBefore = (b, t) => { let v = null; let at = -Infinity; for (const [k, x] of b) if (k <= t && k > at) { at = k; v = x; } return v; };

  function redraw(c) {
    c.u.setData(data(c));
    const end = nowS();
    const sums = c.buckets.map((b) => [...b].filter(([t]) => t > end - WINDOW_S).reduce((n, [, v]) => n + v, 0));
    if (c.gauge) {
      const v = latestBefore(c.buckets[0], end);
      c.el.dataset.lag = v ?? '';
      c.totals.textContent = `lag now: ${v ?? '–'}`;
    } else {
      c.el.dataset.produced = sums[0];
      c.el.dataset.consumed = sums[1];
      c.totals.textContent = `${sums[0]} produced, ${sums[1]} consumed in the window`;
    }
    // Buckets older than the window are dropped (a gauge keeps its last one).
    for (const b of c.buckets) for (const t of [...b.keys()]) if (t < end - WINDOW_S - 1 && !c.gauge) b.delete(t);
  }

  function topicChart(topic) {
    let c = view.topics.get(topic);
    if (!c) {
      c = card(topic, topic, [{ label: 'produced/s', colour: '#1f5fbf' }, { label: 'consumed/s', colour: '#1a7f37' }], 'rates-topic', { topic });
      view.topics.set(topic, c);
      // Only the most recently active topics keep a chart.
      while (view.topics.size > MAX_TOPICS) {
        const [oldest] = [...view.topics.values()].sort((a, b) => a.active - b.active);
        oldest.u.destroy();
        oldest.el.remove();
        view.topics.delete(oldest.id);
      }
    }
    c.active = Date.now();
    return c;
  }

  function onEvent(e) {
    if (e.type !== 'messages.produced' && e.type !== 'messages.consumed') return;
    const c = topicChart(e.topic);
    const t = Math.floor(Date.parse(e.time) / 1000) || nowS();
    const b = c.buckets[e.type === 'messages.produced' ? 0 : 1];
    b.set(t, (b.get(t) || 0) + (Number(e.count) || 0));
    redraw(c);
    tick();
  }

  /** The group view read its group: the sum of its lag is one more sample. */
  function onGroupOffsets(d) {
    if (!d || d.type === 'share') return;
    const lag = (d.offsets || []).reduce((n, o) => n + (o.lag || 0), 0);
    if (!view.lag || view.lag.id !== d.groupId) {
      if (view.lag) { view.lag.u.destroy(); view.lag.el.remove(); }
      view.lag = card(d.groupId, `lag of group ${d.groupId}`, [{ label: 'lag', colour: '#b35900', fill: 'rgba(179,89,0,.12)' }], 'rates-lag', { group: d.groupId });
      view.lag.gauge = true;
    }
    view.lag.buckets[0].set(nowS(), lag);
    redraw(view.lag);
    tick();
  }

  /** Slides the windows once a second while anything happened in them; stops when all is quiet. */
  function tick() {
    view.lastActivity = Date.now();
    if (view.ticker || document.hidden) return;
    view.ticker = setInterval(() => {
      for (const c of charts()) redraw(c);
      if (Date.now() - view.lastActivity > WINDOW_S * 1000) stop();
    }, 1000);
  }
  function stop() {
    clearInterval(view.ticker);
    view.ticker = null;
  }

  return { mount, onEvent, onGroupOffsets };
})();
