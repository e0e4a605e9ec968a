'use strict';
/**
 * What klab prints for the guided labs and for grading: the labs, one lab's steps, a student's
 * checkpoints with their evidence, and the class as students × checkpoints. Pure (no I/O), so
 * test/unit/cli-grading.spec.ts can pin them down.
 */
const { renderTable, clock } = require('./format');
const { text: shared } = require('../../lib/lab-client');

/** ✓ for passed, · for not yet (the marks of the web page's lab panel too). */
const mark = (passed) => (passed ? '✓' : '·');

/** `2/3`, or `-` for a lab without checkpoints or a caller who is not graded (the instructor). */
function progressText(lab, graded) {
  const total = (lab.checkpoints || []).length;
  return graded && total ? `${(lab.passed || []).length}/${total}` : '-';
}

/** GET /api/labs as a table; `graded` is false for the instructor, whose `passed` is always empty. */
function renderLabs(labs, graded = true) {
  if (!labs.length) return '(no labs)';
  return renderTable(
    ['LAB', 'TITLE', 'KAFKA', 'PASSED', 'CHECKPOINTS'],
    labs.map((l) => [l.id, l.title, l.kafka || '-', progressText(l, graded), (l.checkpoints || []).length ? l.checkpoints.join(',') : '-']),
  );
}

/**
 * GET /api/labs/{id} as a student reads it: the lab, then each step numbered with what to do, what to
 * watch for, the API call and the klab line, and its checkpoint: ✓ passed, · not yet, or (the
 * instructor, who is not graded) just its name.
 */
function renderLab(lab) {
  const out = [`Lab ${lab.id}: ${lab.title}${lab.kafka ? ` (Kafka ${lab.kafka})` : ''}`];
  if (lab.summary) out.push(lab.summary);
  for (const s of lab.steps || []) {
    const pad = ' '.repeat(String(s.n).length + 2);
    out.push('', `${s.n}. ${s.text}`);
    if (s.watch) out.push(`${pad}watch: ${s.watch}`);
    for (const l of shared.stepLines(s.api)) out.push(`${pad}API:   ${l}`);
    for (const l of shared.stepLines(s.cli)) out.push(`${pad}klab:  ${l}`);
    if (s.checkpoint) {
      if (s.passed == null) out.push(`${pad}checkpoint ${s.checkpoint}`);
      else out.push(`${pad}${mark(s.passed)} checkpoint ${s.checkpoint}${s.passed ? ' passed' : ' not passed yet'}`);
    }
  }
  return out.join('\n');
}

/** `events #12, #15 · consumers c-1, c-2 · nodes 1`: where a grader looks to check a pass by hand. */
function evidencePointers(ev) {
  const parts = [];
  if ((ev.events || []).length) parts.push(`events ${ev.events.map((s) => `#${s}`).join(', ')}`);
  if ((ev.consumers || []).length) parts.push(`consumers ${ev.consumers.join(', ')}`);
  if ((ev.nodes || []).length) parts.push(`nodes ${ev.nodes.join(', ')}`);
  return parts.join(' · ');
}

/**
 * One line per checkpoint, `✓ pub-sub  at 10:41:07.120  <title>`, and under a passed one its
 * evidence: the summary sentence, then the events and consumers that prove it.
 */
function checkpointLines(checkpoints) {
  const width = Math.max(0, ...checkpoints.map((c) => c.id.length));
  const out = [];
  for (const c of checkpoints) {
    const when = c.passed && c.at ? `at ${clock(c.at)}` : '';
    out.push(`${mark(c.passed)} ${c.id.padEnd(width)}  ${when.padEnd(15)}  ${c.title || ''}`.trimEnd());
    if (c.passed && c.evidence) {
      if (c.evidence.summary) out.push(`    ${c.evidence.summary}`);
      const pointers = evidencePointers(c.evidence);
      if (pointers) out.push(`    ${pointers}`);
    }
  }
  return out;
}

const passedCount = (checkpoints) => checkpoints.filter((c) => c.passed).length;

/** GET /api/grading/{studentId}: who, how far, and every checkpoint with its evidence. */
function renderStudentGrading(report) {
  const cps = report.checkpoints || [];
  const s = report.student || {};
  const who = s.name ? `${s.name} (${s.id})` : s.id || 'You';
  return [`${who}: ${passedCount(cps)} of ${cps.length} checkpoints passed`, ...checkpointLines(cps)].join('\n');
}

/** GET /api/grading as a matrix, students × checkpoints (✓ or ·), with a count per student. */
function renderGrading(reports, ids) {
  if (!reports.length) return '(no students in the class yet)';
  const columns = ids || (reports[0].checkpoints || []).map((c) => c.id);
  return renderTable(
    ['STUDENT', 'ID', ...columns, 'PASSED'],
    reports.map((r) => {
      const byId = new Map((r.checkpoints || []).map((c) => [c.id, c]));
      const cells = columns.map((id) => mark(byId.get(id) && byId.get(id).passed));
      return [r.student.name, r.student.id, ...cells, `${columns.filter((id) => byId.get(id) && byId.get(id).passed).length}/${columns.length}`];
    }),
  );
}

/** The checkpoints of one lab, in the order its steps reach them. */
function labCheckpoints(lab) {
  return [...new Set((lab.steps || []).map((s) => s.checkpoint).filter(Boolean))];
}

/** Only the checkpoints of `ids` (a lab's), in the report's order; the report itself without ids. */
function onlyCheckpoints(report, ids) {
  return ids ? { ...report, checkpoints: (report.checkpoints || []).filter((c) => ids.includes(c.id)) } : report;
}

/** `klab lab check [A]` for a student: their checkpoints (of lab A), passed with when and why. */
function renderOwnCheck(report, lab) {
  const cps = report.checkpoints || [];
  if (lab && !cps.length) return `Lab ${lab.id} has no checkpoint: nothing in it is graded.`;
  const head = lab ? `Lab ${lab.id}: ${passedCount(cps)} of ${cps.length} checkpoints passed` : `${passedCount(cps)} of ${cps.length} checkpoints passed`;
  return [head, ...checkpointLines(cps)].join('\n');
}

/** `klab lab check [A]` for the instructor: every student's checkpoints (of lab A), or a sentence. */
function renderClassCheck(reports, lab, ids) {
  if (lab && ids && !ids.length) return `Lab ${lab.id} has no checkpoint: nothing in it is graded.`;
  if (!reports.length) return 'No students in the class yet: the instructor is not graded (klab students add <name>..., or give out the join code).';
  return renderGrading(reports, ids);
}

module.exports = {
  mark, renderLabs, renderLab, checkpointLines, renderStudentGrading, renderGrading,
  labCheckpoints, onlyCheckpoints, renderOwnCheck, renderClassCheck,
};
