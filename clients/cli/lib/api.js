'use strict';
/** The lab server as klab sees it: where it is and who we are; the calls themselves are in clients/lib. */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ApiError, LabApi: SharedLabApi } = require('../../lib/lab-client');

// klab's config: two one-line files in the home folder (read at each call, so HOME moves them).
const tokenFile = () => path.join(os.homedir(), '.klab-token');
const serverFile = () => path.join(os.homedir(), '.klab-server');

function readLine(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** --server, else KLAB_SERVER, else the server `klab join` saved, else the lab on this machine. */
function resolveServer(opts, env = process.env) {
  return (opts.server || env.KLAB_SERVER || readLine(serverFile()) || 'http://127.0.0.1:8080').replace(/\/+$/, '');
}

function resolveToken(opts, env = process.env) {
  if (opts.token) return opts.token;
  if (env.KLAB_TOKEN) return env.KLAB_TOKEN;
  return readLine(tokenFile());
}

/**
 * Keeps the token (readable by its owner only) and the server it works on, so the next klab needs
 * neither. A different token already there is kept as ~/.klab-token.previous rather than lost (an
 * instructor trying `klab join` on their own account). Answers the files written.
 */
function saveLogin(token, server) {
  const file = tokenFile();
  const old = readLine(file);
  let previous;
  if (old && old !== token) {
    previous = file + '.previous';
    fs.writeFileSync(previous, old + '\n', { mode: 0o600 });
  }
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  // writeFileSync's mode applies only to a new file: an old, wider one is narrowed too.
  fs.chmodSync(file, 0o600);
  fs.writeFileSync(serverFile(), server + '\n');
  return { tokenFile: file, serverFile: serverFile(), previous };
}

const NO_TOKEN_HINT = 'no token: run `klab join <code> <name>`, or set KLAB_TOKEN or --token';

/** The shared HTTP client (clients/lib/lab-client.js), with klab's hint for a missing token. */
class LabApi extends SharedLabApi {
  constructor(server, token) {
    super(server, token, { hint401: NO_TOKEN_HINT });
  }
}

/** Encodes one path segment (topic names may hold dots; group ids anything). */
const seg = (s) => encodeURIComponent(String(s));

module.exports = { LabApi, ApiError, resolveServer, resolveToken, saveLogin, tokenFile, serverFile, seg };
