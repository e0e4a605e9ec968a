'use strict';
/**
 * `klab class set key=value ...` → the body of PATCH /api/class. Pure, so test/unit/cli-class.spec.ts
 * pins it down. The words are checked here (a typo is a usage sentence before anything is sent); the
 * quota names are the server's to judge (an unknown one is its 400), so a new quota needs no klab change.
 */
const { UsageError } = require('./args');

const BOOLEANS = ['joinOpen', 'studentsMayControlBrokers'];
const YES = ['true', 'on', 'yes', '1'];
const NO = ['false', 'off', 'no', '0'];
const KEYS_HELP = 'joinOpen=true|false, studentsMayControlBrokers=true|false, joinCode=CODE, rotate, quotas.<name>=N';

function boolean(key, value) {
  const v = String(value).toLowerCase();
  if (YES.includes(v)) return true;
  if (NO.includes(v)) return false;
  throw new UsageError(`${key} takes true or false, not "${value}"`);
}

/** `['quotas.topics=5', 'joinOpen=false', 'rotate']` → `{ quotas: { topics: 5 }, joinOpen: false, rotateJoinCode: true }`. */
function classPatch(words) {
  if (!words.length) throw new UsageError(`klab class set needs at least one change: ${KEYS_HELP}`);
  const patch = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? undefined : word.slice(eq + 1);
    if (key === 'rotate' || key === 'rotateJoinCode') {
      // A bare `rotate` is the usual spelling; `rotate=false` asks for nothing and is left out.
      if (value === undefined || boolean(key, value)) patch.rotateJoinCode = true;
      continue;
    }
    if (value === undefined) throw new UsageError(`"${word}" should look like key=value (${KEYS_HELP})`);
    if (BOOLEANS.includes(key)) patch[key] = boolean(key, value);
    else if (key === 'joinCode') {
      if (!value) throw new UsageError('joinCode needs a value (4 to 64 letters, digits or dashes), or use rotate for a new random one');
      patch.joinCode = value;
    } else if (key.startsWith('quotas.') && key.length > 'quotas.'.length) {
      if (!/^\d+$/.test(value)) throw new UsageError(`${key} takes a whole number of 0 or more, not "${value}"`);
      (patch.quotas = patch.quotas || {})[key.slice('quotas.'.length)] = Number(value);
    } else {
      throw new UsageError(`unknown class setting "${key}" (${KEYS_HELP})`);
    }
  }
  return patch;
}

/** The changes as the notice says them: `quotas.topics=5, joinOpen=false, a new join code`. */
function patchSummary(patch) {
  const parts = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'quotas') for (const [q, n] of Object.entries(v)) parts.push(`quotas.${q}=${n}`);
    else if (k === 'rotateJoinCode') parts.push('a new join code');
    else if (k === 'joinCode') parts.push('the join code you gave');
    else parts.push(`${k}=${v}`);
  }
  return parts.join(', ');
}

module.exports = { classPatch, patchSummary, KEYS_HELP };
