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

/// Terminal columns `utf8` takes: combining marks 0, East Asian wide and emoji 2, others 1.
std::size_t display_width(std::string_view utf8);
/// `s` cut to at most `width` columns ("…" marks a cut); never splits a UTF-8 sequence.
std::string clip(std::string_view s, std::size_t width);
/// Counts and rates in at most 7 columns, never cut: 133200, 1.33M, 12.5 (rates < 100 keep a decimal).
std::string compact_count(std::int64_t n);
std::string compact_rate(double r);

/// The `selfheal top` table for a `GET /api/v1/fingerprints` answer: every line fits `width` columns
/// (80, 120, 200...; the columns shown grow with it), no trailing blanks, severity in colour on a tty.
/// `source` names what was read (a server URL or a database file); `empty_note` is printed for no rows.
std::string render_top(const nlohmann::json& list, int width, bool tty, const std::string& source,
                       const std::string& empty_note);

/// `selfheal show`: a `GET /api/v1/fingerprints/{id}` answer (explanation, hosts, merges, samples and
/// their kind, exact counts vs estimates, readable times) plus its audit trail (`audit`: entries).
std::string render_detail(const nlohmann::json& detail, const nlohmann::json& audit, bool tty);

}  // namespace selfheal::app
