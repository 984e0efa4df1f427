// libFuzzer target: the structured-line reader (JSON objects, logfmt) and the engine on top of it.
// Invariants: never throws, fields stay within their bounds, a plain result carries nothing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fingerprint/fingerprint.hpp"
#include "fingerprint/structured.hpp"

namespace fp = selfheal::fingerprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fp::Engine engine;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  fp::StructuredOptions o;
  o.max_fields = 4;
  o.max_value_bytes = 16;
  const fp::StructuredLine s = fp::parse_structured(in, o);
  if (s.fields.size() > o.max_fields) std::abort();
  for (const auto& [k, v] : s.fields)
    if (k.empty() || k.size() > o.max_key_bytes || v.size() > o.max_value_bytes) std::abort();
  const std::string text = s.event_text();
  if (s.format == fp::LineFormat::plain && (!text.empty() || !s.fields.empty())) std::abort();
  if (s.format != fp::LineFormat::plain && fp::sniff_format(in) != s.format) std::abort();
  const fp::Fingerprint f = engine.compute(in);
  if (f.id.size() != 16) std::abort();
  return 0;
}
