// Pushes N log lines through pino + pino-loki (JSON with structured metadata) to a Loki push URL and
// exits 0 once the stream has flushed and closed.
// Usage: node push_pino.js <base-url> <count>
'use strict';
const pino = require('pino');
const { state, args, pinoStream, endStream } = require('./loki_clients');

const [base, count] = args('push_pino.js <base-url> <count>', 0);
const stream = pinoStream(base, { app: 'pino-test' }, 'push failed');
const logger = pino(stream);
for (let i = 0; i < count; i++) {
  if (i % 10 === 0) logger.error({ meta: { trace_id: `t${i}` } }, `payment ${i} failed`);
  else logger.info(`handled request ${i}`);
}
endStream(stream).then(() => process.exit(state.failed ? 1 : 0));
