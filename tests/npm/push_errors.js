// Logs caught errors with their stack through pino + pino-loki and through winston (JSON format,
// errors with stack) + winston-loki to a Loki push URL: `count` times the bug in app/payment.js from
// each logger, once the bug in app/ledger.js, and exits 0 once both transports flushed.
// Usage: node push_errors.js <base-url> <count>
'use strict';
const pino = require('pino');
const winston = require('winston');
const { args, pinoStream, winstonTransport, finish, endStream } = require('./loki_clients');
const { charge } = require('./app/payment');
const { post } = require('./app/ledger');

const [base, count] = args('push_errors.js <base-url> <count>', 1);
function caught(fn, arg) {
  try {
    fn(arg);
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

const stream = pinoStream(base, { app: 'errors-pino' }, 'pino push failed');
const plog = pino(stream);

const transport = winstonTransport(
  base,
  { labels: { app: 'errors-winston' }, json: true, format: winston.format.json() },
  'winston push failed',
);
const wlog = winston.createLogger({ format: winston.format.errors({ stack: true }), transports: [transport] });

for (let i = 0; i < count; i++) {
  plog.error({ err: caught(charge, { id: i }) }, `charge of order ${i} failed`);
  wlog.error(caught(charge, { id: i }));
}
plog.error({ err: caught(post, { id: 1 }) }, 'ledger post failed');

finish(transport, () => endStream(stream));
