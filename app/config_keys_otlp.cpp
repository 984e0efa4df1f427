// Rows of the config key table for ingest.otlp (app/config_table.hpp; parsed in app/config_otlp.cpp).
#include <string>

#include "app/config_key_rows.hpp"

namespace selfheal::app {

void otlp_keys(Rows& r) {
  r.in("ingest").section("otlp", "OTLP/HTTP logs on POST /v1/logs and /otlp/v1/logs (OpenTelemetry SDKs, Collector)");
  r.in("ingest.otlp").flag("enabled", true, "mount the OTLP endpoints");
  r.integer("max_body_bytes", 16LL * 1024 * 1024, 1024, 2147483648.0, "bytes", "bodies above this (as sent) get 413");
  r.integer("max_decompressed_bytes", 64LL * 1024 * 1024, 1024, 8.0 * 1024 * 1024 * 1024, "bytes",
            "bodies above this after gzip get 413");
  r.integer("max_line_bytes", 256LL * 1024, 256, 16.0 * 1024 * 1024, "bytes",
            "longer messages (body plus exception trace) are truncated and flagged");
  r.integer("max_attributes", 32, 0, 256, "attributes",
            "resource attributes kept as labels, and record attributes kept as fields, per record");
  r.duration("durable_timeout_ms", 10'000, 100, 600'000, "ms", "wait this long for the commit before answering 503");
  r.duration("retry_after_secs", 1, 1, 3600, "s", "Retry-After of a 429 or 503 (the exporter retries)");
}

}  // namespace selfheal::app
