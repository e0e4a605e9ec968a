// The instructor's board: students × checkpoints, ticked live from `progress` pushes, with each
// student's last activity (their last event on the timeline, else when their token was last seen).
// A click (or Enter) on a student opens their evidence (GET /api/grading/{id}).
// Uses app.js's helpers (h, api, state, showError, clock).
'use strict';

const Board = (() => {
  const view = { el: null, reports: new Map(), checkpoints: [], last: new Map(), open: null, timer: null, fresh: new Map() };

  function mount() {
    if (!isInstructor()) return;
    view.el = h('section', { class: 'panel wide', id: 'board-panel', testid: 'board-panel' },
      h('h2', null, 'Progress board ', h('span', { id: 'board-summary', class: 'muted', testid: 'board-summary', 'aria-live': 'polite' })),
      h('div', { class: 'scroll-x' }, h('table', { id: 'board', class: 'board', testid: 'board' })),
      h('div', { id: 'board-evidence', class: 'evidence', testid: 'board-evidence', hidden: true, tabindex: -1 }));
    $('roster-panel').before(view.el);
  }

  async function load() {
    if (!view.el) return;
    try {
      const reports = await api('GET', '/grading');
      view.reports = new Map(reports.map((r) => [r.student.id, r]));
      if (reports.length) view.checkpoints = reports[0].checkpoints.map((c) => ({ id: c.id, title: c.title }));
      for (const r of reports) if (r.student.lastSeen && !view.last.has(r.student.id)) view.last.set(r.student.id, r.student.lastSeen);
      draw();
    } catch (e) {
      showError(e);
    }
  }
  function reload() {
    clearTimeout(view.timer);
    view.timer = setTimeout(load, 300);
  }

  /** A checkpoint.passed push: its cell ticks at once. */
  function onProgress(e) {
    if (!view.el || e.type !== 'checkpoint.passed') return;
    const r = view.reports.get(e.studentId);
    if (!r) return reload();
    const c = r.checkpoints.find((x) => x.id === e.checkpoint);
    if (!c || c.passed) return;
    Object.assign(c, { passed: true, at: e.earnedAt || e.time, evidence: e.evidence || c.evidence });
    view.fresh.set(`${e.studentId}:${e.checkpoint}`, Date.now());
    seen(e.studentId, e.time);
    draw();
    if (view.open === e.studentId) openEvidence(e.studentId);
  }

  /** Any event a student caused is their latest activity; joining or leaving changes the rows. */
  function onEvent(e) {
    if (!view.el) return;
    if (e.type === 'student.joined' || e.type === 'student.removed') return reload();
    if (e.actor && view.reports.has(e.actor)) { seen(e.actor, e.time); drawLast(e.actor); }
  }

  function seen(id, time) {
    const prev = view.last.get(id);
    if (!prev || Date.parse(time) > Date.parse(prev)) view.last.set(id, time);
  }

  function lastText(id) {
    const t = view.last.get(id);
    return t ? LabClient.text.ago(t) : 'never';
  }

  function drawLast(id) {
    const cell = view.el.querySelector(`[data-testid=board-row][data-student-id="${CSS.escape(id)}"] [data-testid=board-last]`);
    if (cell) { cell.textContent = lastText(id); cell.title = view.last.get(id) || ''; }
  }

  function draw() {
    const reports = [...view.reports.values()];
    const passed = reports.reduce((n, r) => n + r.checkpoints.filter((c) => c.passed).length, 0);
    $('board-summary').textContent = `${reports.length} student(s) · ${passed} of ${reports.length * view.checkpoints.length} checkpoint(s) passed`;
    const table = $('board');
    if (!reports.length) return table.replaceChildren(h('tbody', null, h('tr', null, h('td', { class: 'muted' }, 'No students yet.'))));
    table.replaceChildren(
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'student'),
        view.checkpoints.map((c) => h('th', { scope: 'col', title: c.title, class: 'cp' }, c.id)), h('th', { scope: 'col' }, 'last activity'))),
      h('tbody', null, reports.map((r) => {
        const open = () => openEvidence(r.student.id);
        const row = h('tr', { testid: 'board-row', class: `clickable${view.open === r.student.id ? ' selected' : ''}`, tabindex: 0, dataset: { studentId: r.student.id, passed: r.checkpoints.filter((c) => c.passed).length },
          'aria-label': `${r.student.name}: open the evidence`, onclick: open },
          h('th', { scope: 'row' }, r.student.name),
          r.checkpoints.map((c) => {
            const at = view.fresh.get(`${r.student.id}:${c.id}`);
            const fresh = at && Date.now() - at < 1500;
            return h('td', { testid: 'board-cell', class: `tickcell${c.passed ? ' on' : ''}${fresh ? ' touched' : ''}`, dataset: { checkpoint: c.id, passed: c.passed }, title: c.passed ? `${c.id} passed ${clock(c.at)}` : `${c.id}: not yet` }, c.passed ? '✓' : '·');
          }),
          h('td', { testid: 'board-last', title: view.last.get(r.student.id) || '' }, lastText(r.student.id)));
        row.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(); } });
        return row;
      })));
  }

  async function openEvidence(id) {
    view.open = id;
    const box = $('board-evidence');
    try {
      const r = await api('GET', `/grading/${encodeURIComponent(id)}`);
      if (view.open !== id) return;
      box.hidden = false;
      box.dataset.studentId = id;
      box.replaceChildren(
        h('h3', null, `Evidence: ${r.student.name}`, h('button', { type: 'button', testid: 'board-evidence-close', title: 'close (Esc)', onclick: close }, '×')),
        h('ul', { class: 'evidence-list' }, r.checkpoints.map((c) => h('li', { testid: 'board-evidence-item', dataset: { checkpoint: c.id, passed: c.passed }, class: c.passed ? 'passed' : null },
          h('span', { class: `tick${c.passed ? ' on' : ''}` }, c.passed ? '✓' : '·'), ' ', h('strong', null, c.id), ` — ${c.title}`,
          c.passed ? h('div', { class: 'muted' }, `passed ${clock(c.at)}`, c.evidence ? [h('br'), c.evidence.summary,
            c.evidence.events && c.evidence.events.length ? ` (events ${c.evidence.events.join(', ')})` : ''] : null) : null))));
      box.onkeydown = (e) => { if (e.key === 'Escape') close(); };
      draw();
      box.focus();
    } catch (e) {
      showError(e);
    }
  }

  function close() {
    const id = view.open;
    view.open = null;
    $('board-evidence').hidden = true;
    draw();
    const row = id && view.el.querySelector(`[data-testid=board-row][data-student-id="${CSS.escape(id)}"]`);
    if (row) row.focus();
  }

  return { mount, onProgress, onEvent, onConnect: load };
})();
