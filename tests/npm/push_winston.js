// Pushes N log lines through winston + winston-loki (protobuf + snappy by default, --json for JSON)
// to a Loki push URL, waits until the transport flushed everything, and exits 0.
// Usage: node push_winston.js <base-url> <count> [--json] [--tenant T] [--ca FILE] [--basic-auth USER:PASS]
//        [--bearer TOKEN]    (--ca: PEM CA bundle that verifies an https:// server)
'use strict';
const winston = require('winston');
const LokiTransport = require('winston-loki');
const fs = require('fs');
const https = require('https');

const [base, countArg, ...rest] = process.argv.slice(2);
const count = Number(countArg);
if (!base || !Number.isInteger(count) || count < 0) {
  console.error('usage: push_winston.js <base-url> <count> [--json] [--tenant T]');
  process.exit(2);
}
const json = rest.includes('--json');
const ti = rest.indexOf('--tenant');
const headers = ti >= 0 ? { 'X-Scope-OrgID': rest[ti + 1] } : {};
const opt = (name) => (rest.indexOf(name) >= 0 ? rest[rest.indexOf(name) + 1] : undefined);
const caFile = opt('--ca');
const basicAuth = opt('--basic-auth');
if (opt('--bearer')) headers.Authorization = 'Bearer ' + opt('--bearer');
const httpsAgent = caFile ? new https.Agent({ keepAlive: true, ca: fs.readFileSync(caFile) }) : undefined;

let failed = false;
const transport = new LokiTransport({
  host: base,
  labels: { app: 'winston-test', mode: json ? 'json' : 'protobuf' },
  json,
  headers,
  basicAuth,
  httpsAgent,
  batching: true,
  interval: 0.2,
  timeout: 15000,
  gracefulShutdown: false,
  onConnectionError: (err) => {
    failed = true;
    console.error('push failed:', err && err.message ? err.message : err);
  },
});
const logger = winston.createLogger({ transports: [transport] });
for (let i = 0; i < count; i++) {
  if (i % 10 === 0) logger.error(`payment ${i} failed for order ${1000 + i}`);
  else logger.info(`handled request ${i}`);
}
transport
  .flush()
  .then(() => transport.close && transport.close())
  .then(() => process.exit(failed ? 1 : 0))
  .catch((err) => {
    console.error('flush failed:', err && err.message ? err.message : err);
    process.exit(1);
  });
