#pragma once
// Text safety. Terminal and log safety: the one function every human output uses (CLI tables and text, the
// server's log lines). Log text and labels are untrusted; an ESC sequence (`\e[2J`, an OSC 8 link),
// a carriage return or a newline printed raw would clear the screen, hide text, forge a link or a
// log line. JSON output needs none of this (JSON escaping is already safe).
#include <string>
#include <string_view>

namespace selfheal {

enum class Newlines {
  escape,  // one line: \n and \t become visible too (table cells, log lines)
  keep,    // a multi-line block (a sample with its stack trace): \n and \t stay
};

/// Makes `text` safe to print: C0 controls, DEL, C1 controls (U+0080..U+009F), the bidirectional
/// overrides (U+202A..U+202E, U+2066..U+2069), the line/paragraph separators and bytes that are
/// not UTF-8 are shown as `\r`, `\n`, `\t`, `\xHH` or `\uHHHH`; everything else is unchanged. Pure.
std::string escape_control(std::string_view text, Newlines newlines = Newlines::escape);

/// True if `text` is well-formed UTF-8.
bool valid_utf8(std::string_view text);
/// `text` with every byte that does not start a well-formed UTF-8 sequence replaced by U+FFFD (as
/// Loki and Go's JSON decoder do). Valid text is returned unchanged.
std::string to_valid_utf8(std::string_view text);

/// True if `name` holds no control character, newline or invalid UTF-8: what a name set through
/// the API, the CLI or the config may contain (fingerprint titles, rule and strategy names, notes).
bool printable_name(std::string_view name);

}  // namespace selfheal
