#include "schema/model.hpp"

#include <algorithm>
#include <cctype>

namespace selfheal {

std::string_view label(const Labels& labels, std::string_view key) {
  for (const auto& [k, v] : labels)
    if (k == key) return v;
  return {};
}

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::debug: return "debug";
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::error: return "error";
    case Severity::critical: return "critical";
  }
  return "info";
}

std::optional<Severity> parse_severity(std::string_view s) {
  std::string l;
  l.reserve(s.size());
  for (char c : s) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (l == "debug" || l == "trace" || l == "dbg" || l == "verbose" || l == "finest" || l == "finer" || l == "fine")
    return Severity::debug;
  if (l == "info" || l == "information" || l == "informational" || l == "notice" || l == "inf" || l == "i")
    return Severity::info;
  if (l == "warn" || l == "warning" || l == "wrn" || l == "w") return Severity::warning;
  if (l == "error" || l == "err" || l == "eror" || l == "severe" || l == "e") return Severity::error;
  if (l == "critical" || l == "crit" || l == "fatal" || l == "panic" || l == "alert" || l == "emerg" ||
      l == "emergency" || l == "f")
    return Severity::critical;
  // syslog numeric levels
  if (l.size() == 1 && l[0] >= '0' && l[0] <= '7') {
    int n = l[0] - '0';
    if (n <= 2) return Severity::critical;
    if (n == 3) return Severity::error;
    if (n == 4) return Severity::warning;
    if (n <= 6) return Severity::info;
    return Severity::debug;
  }
  return std::nullopt;
}

}  // namespace selfheal
