// Logs caught errors with their stack through pino + pino-loki and through winston (JSON format,
// errors with stack) + winston-loki to a Loki push URL: `count` times the bug in app/payment.js from
// each logger, once the bug in app/ledger.js, and exits 0 once both transports flushed.
// Usage: node push_errors.js <base-url> <count>
'use strict';
const pino = require('pino');
const { pinoLoki } = require('pino-loki');
const winston = require('winston');
const LokiTransport = require('winston-loki');
const { charge } = require('./app/payment');
const { post } = require('./app/ledger');

const [base, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (!base || !Number.isInteger(count) || count < 1) {
  console.error('usage: push_errors.js <base-url> <count>');
  process.exit(2);
}
function caught(fn, arg) {
  try {
    fn(arg);
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

let failed = false;
const stream = pinoLoki({
  host: base,
  labels: { app: 'errors-pino' },
  batching: { interval: 0.2, maxBufferSize: 0 },
  timeout: 15000,
  silenceErrors: false,
});
stream.on('error', (err) => {
  failed = true;
  console.error('pino push failed:', err && err.message ? err.message : err);
});
const plog = pino(stream);

const transport = new LokiTransport({
  host: base,
  labels: { app: 'errors-winston' },
  json: true,
  format: winston.format.json(),
  batching: true,
  interval: 0.2,
  timeout: 15000,
  gracefulShutdown: false,
  onConnectionError: (err) => {
    failed = true;
    console.error('winston push failed:', err && err.message ? err.message : err);
  },
});
const wlog = winston.createLogger({ format: winston.format.errors({ stack: true }), transports: [transport] });

for (let i = 0; i < count; i++) {
  plog.error({ err: caught(charge, { id: i }) }, `charge of order ${i} failed`);
  wlog.error(caught(charge, { id: i }));
}
plog.error({ err: caught(post, { id: 1 }) }, 'ledger post failed');

transport
  .flush()
  .then(() => transport.close && transport.close())
  .then(
    () =>
      new Promise((resolve) => {
        stream.on('close', resolve);
        stream.end();
      }),
  )
  .then(() => process.exit(failed ? 1 : 0))
  .catch((err) => {
    console.error('flush failed:', err && err.message ? err.message : err);
    process.exit(1);
  });
