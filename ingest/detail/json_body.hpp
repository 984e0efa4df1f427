#pragma once
// The JSON side of the push decoders (Loki's push body, OTLP/JSON): one bad byte must not refuse a
// whole body (the protobuf path replaces it with U+FFFD), so invalid UTF-8 is repaired before parsing.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "schema/result.hpp"
#include "schema/text.hpp"

namespace selfheal::ingest::detail {

/// Parses a request body as JSON after repairing invalid UTF-8.
/// Errors: bad_input "invalid JSON: <parser's words>".
inline Result<nlohmann::json> parse_json_body(std::string_view body) {
  std::string repaired;
  if (!valid_utf8(body)) {
    repaired = to_valid_utf8(body);
    body = repaired;
  }
  try {
    return nlohmann::json::parse(body.begin(), body.end());
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorCode::bad_input, std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace selfheal::ingest::detail
