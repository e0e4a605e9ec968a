'use strict';
/**
 * What klab prints for the class: the roster, the class settings and freshly made tokens. Pure (the
 * clock is a parameter), so test/unit/cli-class.spec.ts can pin them down.
 */
const { renderTable } = require('./format');
const { text: { ago } } = require('../../lib/lab-client');

/** GET /api/students as a table, in the order the server gives. */
function renderRoster(students, now = Date.now()) {
  if (!students.length) return '(no students yet: klab students add <name>..., or let them klab join with the class code)';
  return renderTable(
    ['ID', 'NAME', 'JOINED', 'LAST SEEN', 'CONSUMERS', 'TOPICS', 'CHECKPOINTS'],
    students.map((s) => [s.id, s.name, ago(s.joinedAt, now), ago(s.lastSeen, now), s.consumers ?? '-', s.topics ?? '-',
      (s.checkpoints || []).length ? s.checkpoints.join(',') : '-']),
  );
}

/** Students with the tokens just made; tokens are shown once, so they go to stdout (a file, a pipe). */
function renderTokens(students) {
  return renderTable(['ID', 'NAME', 'TOKEN'], students.map((s) => [s.id, s.name, s.token]));
}

const yesNo = (b) => (b ? 'yes' : 'no');

/** GET /api/class as a few lines: the code, who may do what, the quotas (whatever keys the server has). */
function renderClass(c) {
  const quotas = Object.entries(c.quotas || {});
  const width = Math.max(0, ...quotas.map(([k]) => k.length));
  return [
    `Join code: ${c.joinCode} (joining ${c.joinOpen ? 'open' : 'CLOSED'})`,
    `Students may control brokers: ${yesNo(c.studentsMayControlBrokers)}`,
    'Quotas per student (the instructor has none):',
    ...quotas.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ].join('\n');
}

/**
 * Finds a student of the roster by id, else by name (case-insensitive, as the class keeps names unique
 * that way), else by the start of one name only: `klab students rm ada` for Ada Lovelace as well as
 * `klab students rm k3x9qa`. Answers `{ student }`, or `{ candidates }` when a start fits several.
 */
function findStudent(roster, idOrName) {
  const want = String(idOrName).trim();
  const lower = want.toLowerCase();
  const exact = roster.find((s) => s.id === want) || roster.find((s) => s.name.toLowerCase() === lower);
  if (exact) return { student: exact };
  const starts = lower ? roster.filter((s) => s.name.toLowerCase().startsWith(lower)) : [];
  return starts.length === 1 ? { student: starts[0] } : { candidates: starts };
}

module.exports = { ago, renderRoster, renderTokens, renderClass, findStudent };
