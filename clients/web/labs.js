// The guided labs on the page: pick a lab, read its steps (what to do, what to watch for, the API call
// and the klab line), each step's checkpoint ticked once passed, live: a checkpoint.passed (pushed as
// `progress`, and on the timeline) ticks it without a reload. The instructor sees how many students
// passed each step's checkpoint, and the roster's ticks. A classic script loaded before app.js, like
// class.js: it uses app.js's helpers ($, h, api, showError, state) only inside functions.
'use strict';

const labState = {
  labs: [], // GET /api/labs: the summaries, for the picker
  lab: null, // GET /api/labs/{id}: the lab shown
  /** The checkpoints the caller passed (a student): what the server said, and every pass heard since. */
  passed: new Set(),
  /** Every checkpoint id in the labs' order (the roster's ticks, the CSV's columns). */
  order: [],
};

const LAB_KEY = 'klab-lab';
const tick = (passed) => (passed ? '✓' : '·');

async function loadLabs() {
  const labs = await api('GET', '/labs');
  labState.labs = labs;
  labState.order = labs.flatMap((l) => l.checkpoints || []);
  for (const l of labs) for (const id of l.passed || []) labState.passed.add(id);
  const select = $('lab-select');
  select.replaceChildren(...labs.map((l) => h('option', { value: l.id, testid: 'lab-option' }, optionText(l))));
  const remembered = localStorage.getItem(LAB_KEY);
  select.value = labs.some((l) => l.id === remembered) ? remembered : labs.length ? labs[0].id : '';
  // The roster drawn before the order was known shows its ticks now.
  if (isInstructor() && state.roster.size) drawRoster();
  if (select.value) await showLab(select.value);
}

/** `A · Replication and consumer groups · 1/3` (no count for the instructor, who is not graded). */
function optionText(l) {
  const ids = l.checkpoints || [];
  const done = ids.filter((id) => labState.passed.has(id)).length;
  return `${l.id} · ${l.title}${!isInstructor() && ids.length ? ` · ${done}/${ids.length}` : ''}`;
}

async function showLab(id) {
  localStorage.setItem(LAB_KEY, id);
  const lab = await api('GET', `/labs/${encodeURIComponent(id)}`);
  // A slower answer for a lab picked before does not replace the one picked since.
  if ($('lab-select').value !== lab.id) return;
  labState.lab = lab;
  for (const s of lab.steps || []) if (s.passed && s.checkpoint) labState.passed.add(s.checkpoint);
  drawLab();
}


/** How many students passed a checkpoint, for the instructor (from the roster, kept live). */
function classCount(checkpoint) {
  const students = [...state.roster.values()];
  const done = students.filter((s) => (s.checkpoints || []).includes(checkpoint)).length;
  return `${done} of ${students.length} student(s) passed`;
}

function drawLab() {
  const lab = labState.lab;
  if (!lab) return;
  const ids = [...new Set((lab.steps || []).map((s) => s.checkpoint).filter(Boolean))];
  const done = ids.filter((id) => labState.passed.has(id)).length;
  $('lab-summary').textContent = `${lab.summary || ''}${lab.kafka ? ` (Kafka ${lab.kafka})` : ''}`;
  $('lab-progress').textContent = !ids.length ? 'no checkpoint in this lab' : isInstructor() ? `${ids.length} checkpoint(s)` : `${done} of ${ids.length} checkpoint(s) passed`;
  $('lab-steps').replaceChildren(...(lab.steps || []).map(stepItem));
  for (const option of $('lab-select').options) {
    const l = labState.labs.find((x) => x.id === option.value);
    if (l) option.textContent = optionText(l);
  }
}

function stepItem(s) {
  const graded = Boolean(s.checkpoint) && !isInstructor();
  const passed = graded && labState.passed.has(s.checkpoint);
  const code = (label, lines, testid) => (lines.length ? h('div', { class: 'step-code' }, h('span', { class: 'muted' }, label), h('pre', { testid }, lines.join('\n'))) : null);
  let checkpoint = null;
  if (s.checkpoint) {
    checkpoint = h('p', { class: `step-checkpoint${passed ? ' passed' : ''}`, testid: 'lab-checkpoint' },
      graded ? h('span', { class: 'tick', testid: 'lab-tick', role: 'img', 'aria-label': passed ? 'passed' : 'not passed yet' }, tick(passed)) : null,
      ' checkpoint ', h('code', null, s.checkpoint),
      graded ? (passed ? ' passed' : ' not passed yet') : ` · ${classCount(s.checkpoint)}`);
  }
  return h('li', { testid: 'lab-step', class: passed ? 'passed' : null, dataset: { n: s.n, checkpoint: s.checkpoint || '', passed: graded ? String(passed) : '' } },
    h('p', { class: 'step-text' }, s.text),
    s.watch ? h('p', { class: 'muted' }, 'Watch: ', s.watch) : null,
    code('API', say.stepLines(s.api), 'lab-api'),
    code('klab', say.stepLines(s.cli), 'lab-cli'),
    checkpoint);
}

/** Who passed, on the timeline: "you", the roster's name for the instructor, else the id. */
function passerText(studentId) {
  if (state.me && studentId === state.me.id) return 'you';
  const s = state.roster.get(studentId);
  return s ? `${s.name} (${studentId})` : `student ${studentId}`;
}

/**
 * A checkpoint.passed heard (a `progress` push, or the timeline): passes are sticky, so it is only
 * ever added. The student's steps tick; the instructor's roster and counts move.
 */
function markPassed(ev) {
  if (!ev || ev.type !== 'checkpoint.passed') return;
  if (isInstructor()) {
    const s = state.roster.get(ev.studentId);
    if (s && !(s.checkpoints || []).includes(ev.checkpoint)) {
      s.checkpoints = [...(s.checkpoints || []), ev.checkpoint].sort((a, b) => labState.order.indexOf(a) - labState.order.indexOf(b));
      const row = document.querySelector(`[data-testid=roster-row][data-student-id="${CSS.escape(ev.studentId)}"]`);
      if (row) row.replaceWith(rosterRow(s));
    }
  } else if (state.me && ev.studentId === state.me.id) {
    labState.passed.add(ev.checkpoint);
  }
  drawLab();
}

/** The roster's checkpoints cell: `2/8` and one tick per checkpoint, each titled with its id. */
function checkpointTicks(passed) {
  const order = labState.order;
  if (!order.length) return (passed || []).length ? passed.join(', ') : '–';
  const ticks = order.map((id) => {
    const on = (passed || []).includes(id);
    return h('span', { class: on ? 'tick on' : 'tick', title: `${id}: ${on ? 'passed' : 'not yet'}` }, tick(on));
  });
  return h('span', { testid: 'student-checkpoints', dataset: { passed: (passed || []).length }, 'aria-label': `${(passed || []).length} of ${order.length} checkpoints passed: ${(passed || []).join(', ') || 'none'}` },
    `${(passed || []).length}/${order.length} `, h('span', { class: 'ticks', 'aria-hidden': 'true' }, ticks));
}

function wireLabs() {
  $('lab-select').addEventListener('change', () => showLab($('lab-select').value).catch(showError));
}
