'use strict';
/**
 * The guided labs and grading from the terminal: `klab lab list|show|check` (anyone) and `klab grading`
 * (the instructor the class, a student themselves). The server computes every checkpoint from the
 * timeline; klab only asks and shows.
 */
const { UsageError } = require('../lib/args');
const { seg } = require('../lib/api');
const gfmt = require('../lib/grading-format');
const { print, show, need } = require('../lib/io');
const { studentOf } = require('./class');

const LAB_USAGE = 'usage: klab lab list | klab lab show <A-G> | klab lab check [<A-G>]';

/** The caller's own report (a student), or the class's (the instructor): one of them is null. */
async function reportsOf(ctx) {
  const me = await ctx.api.get('/me');
  if (me.role === 'instructor') return { me, own: null, all: await ctx.api.get('/grading') };
  return { me, own: await ctx.api.get(`/grading/${seg(me.id)}`), all: null };
}

async function cmdLab(ctx, [action, id]) {
  const { api, opts } = ctx;
  // `klab lab A` reads as `klab lab show A`.
  if (action && /^[a-z]$/i.test(action) && id === undefined) [action, id] = ['show', action];
  switch (action) {
    case undefined:
    case 'list': {
      const [labs, me] = await Promise.all([api.get('/labs'), api.get('/me')]);
      return show(ctx, labs, (l) => gfmt.renderLabs(l, me.role !== 'instructor'));
    }
    case 'show':
      return show(ctx, await api.get(`/labs/${seg(need(id, 'lab (A to G)'))}`), gfmt.renderLab);
    case 'check': {
      // With a lab: only its checkpoints (the server says which, and refuses an unknown lab first).
      const lab = id === undefined ? null : await api.get(`/labs/${seg(id)}`);
      const ids = lab ? gfmt.labCheckpoints(lab) : null;
      const { own, all } = await reportsOf(ctx);
      if (own) return show(ctx, gfmt.onlyCheckpoints(own, ids), (r) => gfmt.renderOwnCheck(r, lab));
      const reports = all.map((r) => gfmt.onlyCheckpoints(r, ids));
      return opts.json ? print(JSON.stringify(reports, null, 2)) : print(gfmt.renderClassCheck(reports, lab, ids));
    }
    default:
      throw new UsageError(LAB_USAGE);
  }
}

/**
 * The student an argument names: through the roster for the instructor (an id, a name, the start of
 * one); a student may not read the roster, so for them it is their own id or name, else sent as typed
 * (the server answers "There is no student ..." for anyone else).
 */
async function gradedStudentId(ctx, idOrName) {
  try {
    return (await studentOf(ctx, idOrName)).id;
  } catch (e) {
    if (e.status !== 403) throw e;
  }
  const me = await ctx.api.get('/me');
  const lower = String(idOrName).trim().toLowerCase();
  return lower === me.id || lower === String(me.name).toLowerCase() ? me.id : idOrName;
}

async function cmdGrading(ctx, [student]) {
  const { api, opts } = ctx;
  if (opts.csv) {
    if (student) throw new UsageError('--csv is the whole class, one row per student: leave out the student (klab grading --csv > grades.csv)');
    // As the server wrote it, so `> grades.csv` is the spreadsheet's file.
    return print(await api.get('/grading', { format: 'csv' }));
  }
  if (student) return show(ctx, await api.get(`/grading/${seg(await gradedStudentId(ctx, student))}`), gfmt.renderStudentGrading);
  const { own, all } = await reportsOf(ctx);
  // A student sees their own checkpoints rather than a refusal.
  if (own) return show(ctx, own, gfmt.renderStudentGrading);
  return show(ctx, all, (r) => gfmt.renderGrading(r));
}

module.exports = { cmdLab, cmdGrading };
