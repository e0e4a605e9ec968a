'use strict';
/**
 * klab's command line: getopt-like, as kcat users expect (`-p 3`, `-p3`, `--partitions=3`, `--` ends the
 * options so a value may start with a dash). One table of flags for every command keeps the help honest.
 */

/** flag → [option name, kind]; kinds: bool, string, int, list (repeatable). */
const FLAGS = {
  '--server': ['server', 'string'],
  '--token': ['token', 'string'],
  '--json': ['json', 'bool'],
  '-J': ['json', 'bool'],
  '-h': ['help', 'bool'],
  '--help': ['help', 'bool'],
  '-k': ['key', 'string'],
  '--key': ['key', 'string'],
  // -p is "partitions" for `topic create` and "partition" for `produce`, as in kafka-topics and kcat.
  '-p': ['p', 'int'],
  '--partitions': ['p', 'int'],
  '--partition': ['p', 'int'],
  '-r': ['replicationFactor', 'int'],
  '--replication-factor': ['replicationFactor', 'int'],
  '-c': ['config', 'list'],
  '--config': ['config', 'list'],
  '-H': ['header', 'list'],
  '--header': ['header', 'list'],
  '--acks': ['acks', 'int'],
  '-G': ['group', 'string'],
  '--group': ['group', 'string'],
  '-b': ['fromBeginning', 'bool'],
  '--from-beginning': ['fromBeginning', 'bool'],
  '-f': ['format', 'string'],
  '--format': ['format', 'string'],
  '--name': ['name', 'string'],
  '--kill-on-exit': ['killOnExit', 'bool'],
  '--protocol': ['protocol', 'string'],
  '--ack': ['ack', 'string'],
  '--brokers': ['brokers', 'int'],
  '--controllers': ['controllers', 'int'],
  '--follow': ['follow', 'bool'],
  '-F': ['follow', 'bool'],
  '--types': ['types', 'string'],
  '--after': ['after', 'int'],
  '--limit': ['limit', 'int'],
  '--internal': ['internal', 'bool'],
  '--csv': ['csv', 'bool'],
  '--no-wait': ['noWait', 'bool'],
  '--purge': ['purge', 'bool'],
};

class UsageError extends Error {}

/** Splits argv into positional words and options; throws UsageError with a sentence on a bad flag. */
function parseArgs(argv) {
  const words = [];
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') { words.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) { words.push(arg); continue; }
    let flag = arg;
    let inline; // the value glued to the flag: --x=1 or -p3
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) { flag = arg.slice(0, eq); inline = arg.slice(eq + 1); }
    else if (!arg.startsWith('--') && arg.length > 2) { flag = arg.slice(0, 2); inline = arg.slice(2); }
    const spec = FLAGS[flag];
    if (!spec) throw new UsageError(`unknown option ${flag}`);
    const [name, kind] = spec;
    if (kind === 'bool') {
      if (inline !== undefined) throw new UsageError(`option ${flag} takes no value`);
      opts[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`option ${flag} needs a value`);
      value = argv[++i];
    }
    if (kind === 'int') {
      if (!/^-?\d+$/.test(value)) throw new UsageError(`option ${flag} needs a whole number, not "${value}"`);
      opts[name] = Number(value);
    } else if (kind === 'list') {
      (opts[name] = opts[name] || []).push(value);
    } else {
      opts[name] = value;
    }
  }
  return { words, opts };
}

const PROTOCOLS = ['classic', 'consumer', 'share'];

/**
 * `--protocol` and `--ack` of `klab consume`, checked before a consumer exists: `{ protocol, ack }`
 * with only what was given (a server without these fields sees the same body as before).
 */
function consumeMode(opts) {
  const out = {};
  if (opts.protocol !== undefined) {
    if (!PROTOCOLS.includes(opts.protocol)) throw new UsageError(`--protocol takes classic, consumer or share, not "${opts.protocol}"`);
    out.protocol = opts.protocol;
  }
  if (opts.ack !== undefined) {
    if (!['auto', 'manual'].includes(opts.ack)) throw new UsageError(`--ack takes auto or manual, not "${opts.ack}"`);
    if (out.protocol !== 'share') throw new UsageError('--ack is for share consumers (--protocol share): classic and consumer-protocol members commit offsets instead');
    out.ack = opts.ack;
  }
  return out;
}

/** `['retention.ms=1000', 'min.insync.replicas=2']` → `{ 'retention.ms': '1000', ... }` (values stay strings). */
function keyValues(pairs, what) {
  const out = {};
  for (const pair of pairs || []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`${what} "${pair}" should look like name=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

module.exports = { parseArgs, keyValues, consumeMode, UsageError, FLAGS };
