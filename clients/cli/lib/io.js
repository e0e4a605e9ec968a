'use strict';
/** How every klab command talks to the terminal: results on stdout, `% ` notices on stderr (kcat's way). */
const { UsageError } = require('./args');

const notice = (line) => process.stderr.write(`% ${line}\n`);

/** Writes to stdout and resolves once it is flushed, so an exit right after loses nothing. */
const print = (text) => new Promise((resolve) => process.stdout.write(text.endsWith('\n') ? text : text + '\n', () => resolve()));

/** Prints a body as JSON with --json, else through `human`. */
function show(ctx, body, human) {
  return print(ctx.opts.json ? JSON.stringify(body, null, 2) : human(body));
}

function need(value, what) {
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`);
  return value;
}

module.exports = { notice, print, show, need };
