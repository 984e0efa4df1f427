// Pushes N log lines through pino + pino-loki (JSON with structured metadata) to a Loki push URL and
// exits 0 once the stream has flushed and closed.
// Usage: node push_pino.js <base-url> <count>
'use strict';
const pino = require('pino');
const { pinoLoki } = require('pino-loki');

const [base, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (!base || !Number.isInteger(count) || count < 0) {
  console.error('usage: push_pino.js <base-url> <count>');
  process.exit(2);
}
let failed = false;
const stream = pinoLoki({
  host: base,
  labels: { app: 'pino-test' },
  batching: { interval: 0.2, maxBufferSize: 0 },
  timeout: 15000,
  silenceErrors: false,
});
stream.on('error', (err) => {
  failed = true;
  console.error('push failed:', err && err.message ? err.message : err);
});
const logger = pino(stream);
for (let i = 0; i < count; i++) {
  if (i % 10 === 0) logger.error({ meta: { trace_id: `t${i}` } }, `payment ${i} failed`);
  else logger.info(`handled request ${i}`);
}
stream.on('close', () => process.exit(failed ? 1 : 0));
stream.end();
