#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "schema/clock.hpp"

namespace selfheal {

/// RFC 3339 UTC with millisecond precision, e.g. "2026-11-23T19:47:00.123Z".
std::string format_rfc3339(UnixMs t);
/// Parses RFC 3339 / ISO 8601 ("2026-11-23T19:47:00Z", with optional fraction and offset),
/// or a plain integer of Unix seconds / ms / ns (magnitude decides). nullopt if malformed.
std::optional<UnixMs> parse_time(std::string_view s);
/// Parses durations like "250ms", "30s", "5m", "2h", "7d". nullopt if malformed.
std::optional<std::int64_t> parse_duration_ms(std::string_view s);

}  // namespace selfheal
