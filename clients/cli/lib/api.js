'use strict';
/** The lab server as klab sees it: where it is and who we are; the calls themselves are in clients/lib. */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ApiError, LabApi: SharedLabApi } = require('../../lib/lab-client');

const TOKEN_FILE = path.join(os.homedir(), '.klab-token');

function resolveServer(opts, env = process.env) {
  return (opts.server || env.KLAB_SERVER || 'http://127.0.0.1:8080').replace(/\/+$/, '');
}

function resolveToken(opts, env = process.env) {
  if (opts.token) return opts.token;
  if (env.KLAB_TOKEN) return env.KLAB_TOKEN;
  try {
    return fs.readFileSync(TOKEN_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function saveToken(token) {
  fs.writeFileSync(TOKEN_FILE, token + '\n', { mode: 0o600 });
  return TOKEN_FILE;
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

module.exports = { LabApi, ApiError, resolveServer, resolveToken, saveToken, TOKEN_FILE, seg };
