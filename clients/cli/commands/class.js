'use strict';
/**
 * The class from the terminal: `klab join` (a student), `klab students` and `klab class` (the
 * instructor). Tokens are shown once by the server, so they go to stdout where they can be kept (a
 * file, a pipe); what klab says about them goes to stderr.
 */
const readline = require('node:readline');
const { UsageError } = require('../lib/args');
const { LabApi, saveLogin, seg } = require('../lib/api');
const { classPatch, patchSummary } = require('../lib/class-settings');
const cfmt = require('../lib/class-format');
const { notice, print, show, need } = require('../lib/io');

// ------------------------------------------------------------------------------------------------ join

async function cmdJoin(ctx, [code, ...nameWords]) {
  const name = need(nameWords.join(' ').trim(), 'your name (klab join <code> <name>)');
  const res = await ctx.api.post('/join', { code: need(code, 'join code'), name });
  if (ctx.opts.json) await print(JSON.stringify(res, null, 2));
  else notice(`Joined ${ctx.server} as ${res.name} (student id ${res.id})`);
  keep(ctx, res.token);
}

/** `klab login <token>`: a token the instructor handed out (or a new one) saved like join's, once it works. */
async function cmdLogin(ctx, [token]) {
  need(token, 'your token (klab login <token>)');
  const me = await new LabApi(ctx.server, token).get('/me');
  if (ctx.opts.json) await print(JSON.stringify(me, null, 2));
  else notice(`Signed in to ${ctx.server} as ${me.name} (${me.role}${me.role === 'student' ? `, id ${me.id}` : ''})`);
  keep(ctx, token);
}

/** Saves the token and the server, and says where (and what could still shadow them). */
function keep(ctx, token) {
  const saved = saveLogin(token, ctx.server);
  notice(`Your token is saved in ${saved.tokenFile} and the server in ${saved.serverFile}: the next klab commands use them`);
  if (saved.previous) notice(`The token that was there is kept in ${saved.previous}`);
  // The environment wins over the file: say so, or the next command would still be someone else.
  if (process.env.KLAB_TOKEN && process.env.KLAB_TOKEN !== token) notice('KLAB_TOKEN is set in this shell and wins over the saved token: unset KLAB_TOKEN to use the one just saved');
  if (process.env.KLAB_SERVER && process.env.KLAB_SERVER.replace(/\/+$/, '') !== ctx.server) notice('KLAB_SERVER is set in this shell and wins over the saved server');
}

// -------------------------------------------------------------------------------------------- students

/** Names from the command line, or one per stdin line when none are given (a class list). */
async function namesFrom(words) {
  if (words.length) return words;
  if (process.stdin.isTTY) notice('Type one student name per line; Ctrl-D ends');
  const names = [];
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  for await (const line of rl) if (line.trim()) names.push(line.trim());
  if (!names.length) throw new UsageError('no names: klab students add <name>... (quote a name with spaces), or one name per stdin line');
  return names;
}

/** The roster entry an id or a name stands for; a sentence when there is none. */
async function studentOf(ctx, idOrName) {
  const roster = await ctx.api.get('/students');
  const { student, candidates } = cfmt.findStudent(roster, need(idOrName, 'student id or name'));
  if (student) return student;
  if (candidates.length) throw new Error(`"${idOrName}" could be ${candidates.map((s) => `${s.name} (${s.id})`).join(' or ')}: give the id or the whole name.`);
  throw new Error(`No student in the class has the id or name "${idOrName}" (klab students lists them).`);
}

async function cmdStudents(ctx, [action, ...args]) {
  const { api, opts } = ctx;
  switch (action) {
    case undefined:
    case 'list':
      return show(ctx, await api.get('/students'), (s) => cfmt.renderRoster(s));
    case 'add': {
      const names = await namesFrom(args);
      // One name is the single form of the route; several go at once (all or none are added).
      const added = names.length === 1 ? [await api.post('/students', { name: names[0] })] : await api.post('/students', { names });
      await show(ctx, added, cfmt.renderTokens);
      if (!opts.json) notice(`${added.length} student(s) added. Tokens are shown only this once: give each student theirs (klab login <token>, or open ${ctx.server}/#token=<token>)`);
      return undefined;
    }
    case 'rm':
    case 'remove': {
      const s = await studentOf(ctx, args[0]);
      await api.delete(`/students/${seg(s.id)}`, opts.purge ? { purge: 'true' } : undefined);
      if (opts.json) return print(JSON.stringify({ removed: s.id, name: s.name, purged: Boolean(opts.purge) }));
      return notice(`Removed ${s.name} (${s.id}): their token no longer works and their consumers are stopped${opts.purge ? '; their topics are deleted' : ' (their topics stay; --purge deletes them)'}`);
    }
    case 'token': {
      const s = await studentOf(ctx, args[0]);
      const res = await api.post(`/students/${seg(s.id)}/token`);
      if (opts.json) return print(JSON.stringify(res, null, 2));
      await print(res.token);
      return notice(`New token for ${res.name} (${res.id}), shown only this once; their old token no longer works`);
    }
    default:
      throw new UsageError('usage: klab students [add <name>...|rm <id|name> [--purge]|token <id|name>]');
  }
}

// ----------------------------------------------------------------------------------------------- class

async function cmdClass(ctx, [action, ...pairs]) {
  if (action === undefined || action === 'show') return show(ctx, await ctx.api.get('/class'), cfmt.renderClass);
  if (action !== 'set') throw new UsageError('usage: klab class [set key=value ...]');
  const patch = classPatch(pairs);
  const settings = await ctx.api.patch('/class', patch);
  if (!ctx.opts.json) notice(`Class settings changed: ${patchSummary(patch)}`);
  return show(ctx, settings, cfmt.renderClass);
}

module.exports = { cmdJoin, cmdLogin, cmdStudents, cmdClass, studentOf };
