// The `ingest.otlp` section (ingest/config.hpp OtlpConfig); its keys are in app/config_keys_otlp.cpp.
#include "app/config_section.hpp"
#include "app/config_sections.hpp"
#include "ingest/config.hpp"

namespace selfheal::app {

void parse_otlp_section(ConfigSection& s, ingest::OtlpConfig& out) {
  s.allow_only();
  s.get("enabled", out.enabled);
  s.get("max_body_bytes", out.max_body_bytes);
  s.get("max_decompressed_bytes", out.max_decompressed_bytes);
  s.get("max_line_bytes", out.max_line_bytes);
  s.get("max_attributes", out.max_attributes);
  s.get("durable_timeout_ms", out.durable_timeout_ms);
  s.get("retry_after_secs", out.retry_after_secs);
  if (out.max_decompressed_bytes < out.max_body_bytes)
    s.error("max_decompressed_bytes", "must be at least max_body_bytes (" + std::to_string(out.max_body_bytes) + ")");
}

}  // namespace selfheal::app
