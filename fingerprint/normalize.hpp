#pragma once
// Message normaliser: a hand-written single-pass scanner that masks variable parts with <*>.
// General rules only (numbers, hex, ids with digits, IPv4/IPv6/MAC, times, dates, sizes and
// durations with units, paths, URLs, e-mails, key=value values). No dataset word lists.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace selfheal::fingerprint {

inline constexpr std::string_view wildcard = "<*>";

struct NormalizeOptions {
  std::size_t max_values = 16;       ///< at most this many masked raw values are kept
  std::size_t max_value_bytes = 128; ///< each kept value is cut to this many bytes
  std::size_t max_input_bytes = 8 * 1024;  ///< longer input is cut before scanning
  bool collapse_wildcards = true;  ///< whitespace-separated runs of <*> become one <*>
  bool mask_hostnames = true;      ///< dotted names ending in a common TLD become <*>
};

struct Normalized {
  std::string text;                 ///< template: tokens joined by one space, <*> for variables
  std::vector<std::string> values;  ///< raw text behind each <*>, in order (capped)
  void clear() {
    text.clear();
    values.clear();
  }
};

/// Normalises one line (any bytes; control characters count as whitespace). Output is valid
/// for any input; re-normalising a template gives the same template (idempotent).
void normalize_into(std::string_view line, Normalized& out, const NormalizeOptions& opts = {});
std::string normalize(std::string_view line);

/// Removes a leading log header: a timestamp, then optional level, [thread] and `logger -` /
/// `logger:` parts; or, without a timestamp, a klog header (`E1203 12:00:00.000000 123 f.go:10] `)
/// or a level first (`ERROR `, `[error] `, `WARN: `, then the same optional parts), so a line gives
/// the same message with or without its timestamp. Returns the input unchanged otherwise.
std::string_view strip_header(std::string_view line);

/// The level of that header as written ("ERROR", "warn", klog's "E"), empty when it has none.
std::string_view header_level(std::string_view line);

/// True when the line begins with a timestamp-like header, klog's included (used by the stitcher).
bool starts_with_timestamp(std::string_view line);

}  // namespace selfheal::fingerprint
