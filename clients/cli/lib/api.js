'use strict';
/** The lab server as klab sees it: where it is, who we are, and one HTTP call per request. */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TOKEN_FILE = path.join(os.homedir(), '.klab-token');

/** A failure to show the user as `% ERROR: <message>`; the server's sentence when there is one. */
class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

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

class LabApi {
  constructor(server, token) {
    this.server = server;
    this.token = token;
  }

  /**
   * One call. `body` is sent as JSON, `text` as text/plain. Answers the parsed JSON, the text for a
   * non-JSON answer, or null for 204; throws ApiError with the server's `message` otherwise.
   */
  async request(method, route, { body, text, query } = {}) {
    const url = new URL(this.server + '/api' + route);
    for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    const headers = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload;
    if (text !== undefined) { headers['content-type'] = 'text/plain; charset=utf-8'; payload = text; }
    else if (body !== undefined) { headers['content-type'] = 'application/json'; payload = JSON.stringify(body); }
    let res;
    try {
      res = await fetch(url, { method, headers, body: payload });
    } catch (e) {
      const why = (e.cause && (e.cause.code || e.cause.message)) || e.message;
      throw new ApiError(`cannot reach the kafka-lab server at ${this.server} (${why}); check --server or KLAB_SERVER`, 0);
    }
    const raw = await res.text();
    // An error of a text route (?format=text) may still be the JSON error body, whatever its type says.
    const isJson = (res.headers.get('content-type') || '').includes('json') || (!res.ok && /^\s*[{[]/.test(raw));
    let parsed = raw;
    if (isJson && raw) {
      try { parsed = JSON.parse(raw); } catch { /* keep the text */ }
    }
    if (!res.ok) {
      let message = (parsed && typeof parsed === 'object' && parsed.message) || raw.trim() || `${res.status} ${res.statusText}`;
      if (Array.isArray(message)) message = message.join('; ');
      if (res.status === 401 && !this.token) message += ' (no token: run `klab join <code> <name>`, or set KLAB_TOKEN or --token)';
      throw new ApiError(message, res.status, parsed);
    }
    if (res.status === 204 || !raw) return null;
    return parsed;
  }

  get(route, query) { return this.request('GET', route, { query }); }
  post(route, body, query) { return this.request('POST', route, { body, query }); }
  delete(route) { return this.request('DELETE', route); }
}

/** Encodes one path segment (topic names may hold dots; group ids anything). */
const seg = (s) => encodeURIComponent(String(s));

module.exports = { LabApi, ApiError, resolveServer, resolveToken, saveToken, TOKEN_FILE, seg };
