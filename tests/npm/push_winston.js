// Pushes N log lines through winston + winston-loki (protobuf + snappy by default, --json for JSON)
// to a Loki push URL, waits until the transport flushed everything, and exits 0.
// Usage: node push_winston.js <base-url> <count> [--json] [--tenant T] [--ca FILE] [--basic-auth USER:PASS]
//        [--bearer TOKEN]    (--ca: PEM CA bundle that verifies an https:// server)
'use strict';
const winston = require('winston');
const fs = require('fs');
const https = require('https');
const { args, winstonTransport, finish } = require('./loki_clients');

const [base, count, rest] = args('push_winston.js <base-url> <count> [--json] [--tenant T]', 0);
const json = rest.includes('--json');
const ti = rest.indexOf('--tenant');
const headers = ti >= 0 ? { 'X-Scope-OrgID': rest[ti + 1] } : {};
const opt = (name) => (rest.indexOf(name) >= 0 ? rest[rest.indexOf(name) + 1] : undefined);
const caFile = opt('--ca');
const basicAuth = opt('--basic-auth');
if (opt('--bearer')) headers.Authorization = 'Bearer ' + opt('--bearer');
const httpsAgent = caFile ? new https.Agent({ keepAlive: true, ca: fs.readFileSync(caFile) }) : undefined;

const transport = winstonTransport(
  base,
  { labels: { app: 'winston-test', mode: json ? 'json' : 'protobuf' }, json, headers, basicAuth, httpsAgent },
  'push failed',
);
const logger = winston.createLogger({ transports: [transport] });
for (let i = 0; i < count; i++) {
  if (i % 10 === 0) logger.error(`payment ${i} failed for order ${1000 + i}`);
  else logger.info(`handled request ${i}`);
}
finish(transport);
