'use strict';
/** The socket.io side of klab: the shared live link of clients/lib/lab-client.js. */
const { LiveLink, SeqStream, subscribe } = require('../../lib/lab-client');

/** Connects to `/lab`; resolves with a LiveLink once connected (rejects with the server's sentence). */
function connectLab(server, token, timeoutMs = 15000) {
  return LiveLink.connect(server, token, { timeoutMs });
}

module.exports = { connectLab, subscribe, LiveLink, SeqStream };
