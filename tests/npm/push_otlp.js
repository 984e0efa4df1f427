// Sends N log records through the OpenTelemetry JS SDK (@opentelemetry/sdk-logs with an OTLP/HTTP
// exporter, JSON or protobuf) to selfheal, then exits 0 once every record was exported with success.
// Records: three services (one LoggerProvider per resource), every severity, trace context on errors,
// and one exception (exception.type/message/stacktrace attributes) under three different bodies.
// Prints {"sent":N,"failed":0} on stdout.
// Usage: node push_otlp.js <base-url> <count> <json|proto> [--gzip] [--path /v1/logs]
'use strict';
const api = require('@opentelemetry/api');
const { SeverityNumber } = require('@opentelemetry/api-logs');
const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const args = process.argv.slice(2);
const [base, countArg, encoding] = args;
const count = Number(countArg);
const gzip = args.includes('--gzip');
const pathAt = args.indexOf('--path');
const path = pathAt >= 0 ? args[pathAt + 1] : '/v1/logs';
if (!base || !Number.isInteger(count) || count < 0 || !['json', 'proto'].includes(encoding)) {
  console.error('usage: push_otlp.js <base-url> <count> <json|proto> [--gzip] [--path /v1/logs]');
  process.exit(2);
}
const { OTLPLogExporter } = require(encoding === 'json' ? '@opentelemetry/exporter-logs-otlp-http'
                                                       : '@opentelemetry/exporter-logs-otlp-proto');
api.diag.setLogger(new api.DiagConsoleLogger(), api.DiagLogLevel.WARN);

// Counts what the exporter reports as exported; a failed or partial export fails the run.
class CountingExporter {
  constructor(inner) {
    this.inner = inner;
    this.sent = 0;
    this.failed = 0;
  }
  export(records, done) {
    this.inner.export(records, (result) => {
      if (result.code === 0) this.sent += records.length;
      else {
        this.failed += records.length;
        console.error('export failed:', result.error && result.error.message);
      }
      done(result);
    });
  }
  forceFlush() { return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve(); }
  shutdown() { return this.inner.shutdown(); }
}

const resources = [
  { 'service.name': 'checkout', 'service.namespace': 'shop', 'host.name': 'node-a' },
  { 'service.name': 'cart', 'host.name': 'node-b' },
  { 'service.name': 'unknown_service:node', 'k8s.deployment.name': 'search', 'k8s.pod.name': 'search-5f7c' },
];
const exporters = [];
const providers = resources.map((attrs) => {
  const exporter = new CountingExporter(new OTLPLogExporter({
    url: base + path,
    compression: gzip ? 'gzip' : 'none',
    timeoutMillis: 30000,
  }));
  exporters.push(exporter);
  return new LoggerProvider({
    resource: resourceFromAttributes(attrs),
    processors: [new BatchLogRecordProcessor({
      exporter,
      maxQueueSize: count + 1,  // never drop: the test counts every record
      maxExportBatchSize: Math.min(500, count + 1),
      scheduledDelayMillis: 100,
      exportTimeoutMillis: 30000,
    })],
  });
});
const loggers = providers.map((p) => p.getLogger('selfheal-otlp-test', '1.0.0'));

const hex = (n, width) => n.toString(16).padStart(width, '0');
const traced = (i) => api.trace.setSpanContext(api.context.active(), {
  traceId: '5e1f' + hex(i, 28),
  spanId: 'ab' + hex(i, 14),
  traceFlags: api.TraceFlags.SAMPLED,
});
const stack = [
  "TypeError: Cannot read properties of undefined (reading 'sku')",
  '    at priceLine (/srv/shop/src/pricing.js:88:31)',
  '    at Array.map (<anonymous>)',
  '    at priceCart (/srv/shop/src/pricing.js:41:22)',
  '    at async Checkout.submit (/srv/shop/src/checkout.js:120:5)',
].join('\n');
const exceptionBodies = ['checkout failed', 'could not price the cart', 'order rejected'];

for (let i = 0; i < count; i++) {
  const logger = loggers[i % loggers.length];
  if (i % 100 === 0) {
    logger.emit({
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      body: `${exceptionBodies[(i / 100) % 3]} for order ${i}`,
      attributes: {
        'exception.type': 'TypeError',
        'exception.message': "Cannot read properties of undefined (reading 'sku')",
        'exception.stacktrace': stack,
        'order.id': i,
      },
      context: traced(i),
    });
  } else if (i % 10 === 5) {
    logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: `payment ${i} declined by the gateway`,
                  attributes: { 'payment.provider': 'acme' }, context: traced(i) });
  } else if (i % 10 === 3) {
    logger.emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: `slow query took ${i} ms` });
  } else if (i % 10 === 7) {
    logger.emit({ severityNumber: SeverityNumber.DEBUG, body: `cache lookup ${i}` });
  } else {
    logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: `handled request ${i}` });
  }
}

Promise.all(providers.map((p) => p.shutdown())).then(() => {
  const sent = exporters.reduce((n, e) => n + e.sent, 0);
  const failed = exporters.reduce((n, e) => n + e.failed, 0);
  console.log(JSON.stringify({ sent, failed }));
  process.exit(failed === 0 && sent === count ? 0 : 1);
}, (err) => {
  console.error('shutdown failed:', err && err.message);
  process.exit(1);
});
