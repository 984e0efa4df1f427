#pragma once
// Human output of the CLI (tables, details, messages): every text that came from logs, labels, the
// store or a server passes through escape_control (schema/text.hpp) before it reaches a terminal.
// `--json` output stays JSON (its escaping is already safe).
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "schema/text.hpp"

namespace selfheal::app {

/// A copy of `j` whose strings and object keys are escaped: what a human printer works on.
nlohmann::json terminal_safe_json(const nlohmann::json& j);
/// "" when `value` may be a name (no control character, newline or invalid UTF-8, see
/// printable_name); else the message for a 400 or a config error naming `field`.
std::string name_error(std::string_view field, std::string_view value);
/// One text for a person (an error, a server's answer).
std::string terminal_safe(std::string_view text, Newlines newlines = Newlines::escape);

}  // namespace selfheal::app
