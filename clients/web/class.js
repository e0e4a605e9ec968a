// The class on the page: joining (and the token, shown once), what each role is shown, and the
// instructor's roster and class settings. A classic script loaded before app.js: it uses app.js's
// helpers ($, h, api, act, showError, list, say, state) and labs.js's only inside functions, called once all loaded.
'use strict';

/** What each quota limits, said for the settings form (keys the page does not know show as they are). */
const QUOTA_TEXT = {
  topics: 'topics',
  partitionsPerTopic: 'partitions per topic',
  partitions: 'partitions over all their topics',
  consumers: 'consumers running at once',
  producePerSecond: 'messages produced per second',
  messagesPerRequest: 'messages in one produce request',
  sockets: 'live connections (tabs, klab consume)',
};

const isInstructor = () => Boolean(state.me && state.me.role === 'instructor');

/**
 * Node buttons are the instructor's, and a student's only while the class allows it (GET /api/me
 * tells a student `studentsMayControlBrokers`); hiding them spares students a 403 per click.
 */
const mayControlNodes = () => isInstructor() || Boolean(state.me && state.me.studentsMayControlBrokers);

/** Shows what the caller's role may use: [data-only=instructor] elements are the instructor's. */
function applyRole(me) {
  state.me = me;
  document.body.dataset.role = me.role;
  for (const el of document.querySelectorAll('[data-only=instructor]')) el.hidden = !isInstructor();
  $('whoami').textContent = `${me.name} (${me.role}${me.role === 'student' ? ` ${me.id}` : ''})`;
}

/** A topic's owner as the caller reads it: "you", "shared", or (instructor) the student's name. */
function ownerText(owner) {
  if (!owner) return '–';
  if (owner === 'instructor') return isInstructor() ? 'instructor (shared)' : 'shared (instructor)';
  if (!isInstructor()) return owner === state.me.id ? 'you' : owner;
  const s = state.roster.get(owner);
  return s ? `${s.name} (${owner})` : owner;
}

/**
 * Who did it, after an event's sentence: "by you", "by instructor", "by Ada (k3x9qa)" for the
 * instructor; nothing for what Kafka or the server did by itself.
 */
function actorNote(actor) {
  if (!actor || actor === 'kafka' || actor === 'system') return null;
  let who = actor;
  if (state.me && actor === state.me.id) who = 'you';
  else if (state.roster.has(actor)) who = `${state.roster.get(actor).name} (${actor})`;
  return h('span', { class: 'muted', testid: 'event-actor', dataset: { actor } }, ` by ${who}`);
}

/** ` · of Ada (k3x9qa)` on a student's consumer card as the instructor sees it; nothing otherwise. */
function consumerOwnerNote(c) {
  return isInstructor() && c.owner && c.owner !== 'instructor' ? ` · of ${ownerText(c.owner)}` : '';
}

/**
 * The consumers that get a card. The instructor's page shows students' consumers only when asked: a
 * class runs hundreds, and every card follows its consumer's messages live. The count says what waits.
 */
function shownConsumers(consumers) {
  if (!isInstructor()) return consumers;
  const theirs = consumers.filter((c) => c.owner && c.owner !== 'instructor');
  $('consumers-students-count').textContent = `(${theirs.length})`;
  return $('consumers-students').checked ? consumers : consumers.filter((c) => !theirs.includes(c));
}

/**
 * Signing out forgets the token on this browser; a student who joined here has it nowhere else, so
 * they are shown it first (the instructor's lives in the server's data folder).
 */
function confirmSignOut(token) {
  if (isInstructor() || !token) return true;
  return confirm(`Sign out? This browser forgets your token. To sign in again (here, elsewhere, or with klab login) you need it:\n\n${token}\n\nKeep it, or ask the instructor for a new one.`);
}

/** A student may describe, produce to and consume a shared topic, not delete it or elect its leaders. */
function mayManageTopic(topic) {
  return isInstructor() || !topic || topic.owner !== 'instructor';
}

// --------------------------------------------------------------------------------------------- joining

/** `#join=CODE` (the instructor's join link) fills in the code; the hash never reaches the server. */
function readJoinCode() {
  const m = location.hash.match(/join=([^&]+)/);
  if (m) $('join-code').value = decodeURIComponent(m[1]);
}

async function join(e) {
  e.preventDefault();
  await act(e.submitter, async () => {
    const body = await new LabClient.LabApi('', null).post('/join', { code: $('join-code').value.trim(), name: $('join-name').value.trim() });
    localStorage.setItem('klab-token', body.token);
    history.replaceState(null, '', location.pathname + location.search);
    showJoined(body);
  });
}

/** The token of a student who just joined, shown once, with what klab needs to be them too. */
function showJoined(body) {
  $('login').hidden = true;
  $('joined').hidden = false;
  $('joined-name').textContent = `${body.name} (${body.id})`;
  $('joined-token').textContent = body.token;
  $('joined-klab').textContent = `# the klab command line as ${body.name}:\nexport KLAB_SERVER=${location.origin}\nexport KLAB_TOKEN=${body.token}\nklab me`;
}

/** Copies a text; without the clipboard API (plain http off localhost) selects it for Ctrl-C instead. */
async function copyText(text, el) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(el);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    return false;
  }
}

// ---------------------------------------------------------------------------------------------- roster

async function loadRoster() {
  if (!isInstructor()) return;
  const students = await api('GET', '/students');
  state.roster = new Map(students.map((s) => [s.id, s]));
  drawRoster();
  // Owners on the topics table read better as names; the lab's steps count students.
  if (state.topics.length) drawTopics();
  drawLab();
}

function drawRoster() {
  const students = [...state.roster.values()];
  $('roster-count').textContent = `${students.length} in the class`;
  $('roster').replaceChildren(...(students.length ? students.map(rosterRow) :
    [h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No students yet: add them above, or give them the join code.'))]));
}
// Students often join in bursts: one roster read per burst (app.js's debounce is not loaded yet here).
let rosterTimer;
function reloadRoster() {
  clearTimeout(rosterTimer);
  rosterTimer = setTimeout(() => loadRoster().catch(showError), 300);
}

function rosterRow(s) {
  const reissue = h('button', { type: 'button', testid: 'student-token', title: 'a new token; the old one stops working at once' }, 'new token');
  const remove = h('button', { type: 'button', testid: 'student-remove', class: 'danger', title: 'their token stops working and their consumers stop; their topics stay' }, 'remove');
  const purge = h('button', { type: 'button', testid: 'student-purge', class: 'danger', title: 'remove, and delete their topics too' }, 'remove + topics');
  reissue.addEventListener('click', () => act(reissue, async () => {
    if (!confirm(`A new token for ${s.name}? Their old token stops working at once (their open pages and klab are signed out).`)) return;
    showTokens([await api('POST', `/students/${encodeURIComponent(s.id)}/token`)]);
  }));
  const removeWith = (button, purged) => act(button, async () => {
    const what = purged ? `, stop their consumers and delete their ${s.topics} topic(s)` : ' and stop their consumers (their topics stay)';
    if (!confirm(`Remove ${s.name} from the class${what}?`)) return;
    await api('DELETE', `/students/${encodeURIComponent(s.id)}${purged ? '?purge=true' : ''}`);
    await loadRoster();
  });
  remove.addEventListener('click', () => removeWith(remove, false));
  purge.addEventListener('click', () => removeWith(purge, true));
  return h('tr', { testid: 'roster-row', dataset: { studentId: s.id, name: s.name } },
    h('td', { testid: 'student-name' }, s.name),
    h('td', null, h('code', null, s.id)),
    h('td', { title: s.joinedAt }, say.ago(s.joinedAt)),
    h('td', { title: s.lastSeen || '' }, say.ago(s.lastSeen)),
    h('td', null, s.consumers ?? '–'),
    h('td', null, s.topics ?? '–'),
    h('td', null, checkpointTicks(s.checkpoints)),
    h('td', { class: 'actions' }, reissue, remove, purge));
}

async function addStudents(e) {
  e.preventDefault();
  await act(e.submitter, async () => {
    const names = $('roster-names').value.split('\n').map((n) => n.trim()).filter(Boolean);
    if (!names.length) throw new Error('type at least one name');
    // All or none: a taken name refuses the whole list with a sentence naming it.
    const added = names.length === 1 ? [await api('POST', '/students', { name: names[0] })] : await api('POST', '/students', { names });
    $('roster-names').value = '';
    showTokens(added);
    await loadRoster();
  });
}

/**
 * New tokens, shown this once: each with a sign-in link for the student (the token rides in the
 * link's #fragment, which a browser never sends to a server, and the page takes it out of the
 * address bar at once).
 */
function showTokens(students) {
  const box = $('tokens');
  const rows = students.map((s) => {
    const link = `${location.origin}/#token=${encodeURIComponent(s.token)}`;
    const code = h('code', { class: 'token', testid: 'token-value' }, s.token);
    const copy = h('button', { type: 'button', title: 'copy the sign-in link' }, 'copy link');
    copy.addEventListener('click', async () => { copy.textContent = (await copyText(link, code)) ? 'copied' : 'selected: Ctrl-C'; });
    return h('tr', { testid: 'token-row', dataset: { studentId: s.id } }, h('td', null, s.name), h('td', null, h('code', null, s.id)), h('td', null, code), h('td', null, copy));
  });
  const done = h('button', { type: 'button', testid: 'tokens-done' }, 'done: hide them');
  done.addEventListener('click', () => { box.hidden = true; box.replaceChildren(); });
  box.replaceChildren(
    h('p', null, h('strong', null, 'Shown only this once: '), 'give each student their token or sign-in link (klab: ', h('code', null, 'klab --token <token>'), ').'),
    h('table', null, h('tbody', null, rows)),
    done);
  box.hidden = false;
}

// ------------------------------------------------------------------------------------- class settings

async function loadClass() {
  if (!isInstructor()) return;
  renderClass(await api('GET', '/class'));
}

function renderClass(c) {
  state.classSettings = c;
  $('class-join-code').textContent = c.joinCode;
  const link = `${location.origin}/#join=${encodeURIComponent(c.joinCode)}`;
  $('class-join-link').href = link;
  $('class-join-link').textContent = link;
  $('class-join-open').checked = c.joinOpen;
  $('class-brokers').checked = c.studentsMayControlBrokers;
  $('class-code-input').value = '';
  $('class-quotas').replaceChildren(...Object.entries(c.quotas || {}).map(([key, value]) =>
    h('label', { title: `quotas.${key}` }, h('input', { type: 'number', min: 0, step: 1, value, class: 'small', testid: `quota-${key}`, dataset: { quota: key } }), ` ${QUOTA_TEXT[key] || key}`)));
}

/** The form's differences from the settings shown, as a PATCH body (an empty one when nothing moved). */
function classChanges() {
  const c = state.classSettings;
  const patch = {};
  if ($('class-join-open').checked !== c.joinOpen) patch.joinOpen = $('class-join-open').checked;
  if ($('class-brokers').checked !== c.studentsMayControlBrokers) patch.studentsMayControlBrokers = $('class-brokers').checked;
  const code = $('class-code-input').value.trim();
  if (code && code !== c.joinCode) patch.joinCode = code;
  for (const input of $('class-quotas').querySelectorAll('input[data-quota]')) {
    const key = input.dataset.quota;
    if (input.value === '' || !/^\d+$/.test(input.value)) throw new Error(`${QUOTA_TEXT[key] || key} (quotas.${key}) takes a whole number of 0 or more`);
    if (Number(input.value) !== c.quotas[key]) (patch.quotas = patch.quotas || {})[key] = Number(input.value);
  }
  return patch;
}

async function saveClass(e) {
  e.preventDefault();
  await act(e.submitter, async () => {
    const patch = classChanges();
    const keys = Object.keys(patch).flatMap((k) => (k === 'quotas' ? Object.keys(patch.quotas).map((q) => `quotas.${q}`) : [k]));
    if (!keys.length) { $('class-result').textContent = 'nothing changed'; return; }
    renderClass(await api('PATCH', '/class', patch));
    $('class-result').textContent = `saved: ${keys.join(', ')}`;
  });
}

async function rotateJoinCode() {
  await act($('class-rotate'), async () => {
    renderClass(await api('PATCH', '/class', { rotateJoinCode: true }));
    $('class-result').textContent = 'a new join code: the old one no longer works';
  });
}

// ------------------------------------------------------------------------------------------ live, wire

/** What a class event changes on the page (besides its line on the timeline). */
function reactToClass(e) {
  if (e.type === 'student.joined' || e.type === 'student.removed') reloadRoster();
  if (e.type === 'class.updated') {
    if (isInstructor()) loadClass().catch(showError);
    // A student's node buttons follow studentsMayControlBrokers: ask again who we are and may be.
    else api('GET', '/me').then((me) => { applyRole(me); return loadCluster(); }).catch(showError);
  }
}

function wireClass() {
  readJoinCode();
  $('join-form').addEventListener('submit', join);
  $('joined-copy').addEventListener('click', async () => {
    $('joined-copy').textContent = (await copyText($('joined-token').textContent, $('joined-token'))) ? 'copied' : 'selected: Ctrl-C';
  });
  $('joined-continue').addEventListener('click', () => { $('joined').hidden = true; start(); });
  $('roster-form').addEventListener('submit', addStudents);
  $('class-form').addEventListener('submit', saveClass);
  $('class-rotate').addEventListener('click', rotateJoinCode);
  $('consumers-students').addEventListener('change', () => loadConsumers().catch(showError));
  // Last seen moves on its own: read the roster again now and then while an instructor looks.
  setInterval(() => { if (isInstructor() && !document.hidden) loadRoster().catch(() => {}); }, 30_000);
}
