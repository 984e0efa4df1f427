// The Loki transports of the push scripts, configured once: pino-loki and winston-loki pointed at a
// push URL, batching every 0.2 s, and a shared failure flag that a push error sets (each script
// exits 1 when it is set). Also the <base-url> <count> argument check every script starts with.
'use strict';
const { pinoLoki } = require('pino-loki');
const LokiTransport = require('winston-loki');

const state = { failed: false };

function fail(what) {
  return (err) => {
    state.failed = true;
    console.error(`${what}:`, err && err.message ? err.message : err);
  };
}

// [base, count, ...rest] from argv; exits 2 with `usage` when count is not a whole number >= min.
function args(usage, min) {
  const [base, countArg, ...rest] = process.argv.slice(2);
  const count = Number(countArg);
  if (!base || !Number.isInteger(count) || count < min) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return [base, count, rest];
}

// A pino-loki stream with these labels; `what` names it in the failure message.
function pinoStream(base, labels, what) {
  const stream = pinoLoki({
    host: base,
    labels,
    batching: { interval: 0.2, maxBufferSize: 0 },
    timeout: 15000,
    silenceErrors: false,
  });
  stream.on('error', fail(what));
  return stream;
}

// A winston-loki transport; `options` adds to (or overrides) the shared ones.
function winstonTransport(base, options, what) {
  return new LokiTransport({
    host: base,
    batching: true,
    interval: 0.2,
    timeout: 15000,
    gracefulShutdown: false,
    onConnectionError: fail(what),
    ...options,
  });
}

// Flushes and closes the winston transport, then `more()` (a promise), then exits: 1 on a failure.
function finish(transport, more = () => undefined) {
  transport
    .flush()
    .then(() => transport.close && transport.close())
    .then(more)
    .then(() => process.exit(state.failed ? 1 : 0))
    .catch((err) => {
      console.error('flush failed:', err && err.message ? err.message : err);
      process.exit(1);
    });
}

// Ends a pino-loki stream; the promise resolves once it closed.
function endStream(stream) {
  return new Promise((resolve) => {
    stream.on('close', resolve);
    stream.end();
  });
}

module.exports = { state, args, pinoStream, winstonTransport, finish, endStream };
