#pragma once
// Secret redaction before anything leaves the machine. Every field that goes into a prompt
// (template, messages, samples, frames, labels, service names, history) passes through one
// Redactor. Replacements are "[REDACTED:<kind>]", so people reading a preview see what was removed.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "llm/config.hpp"
#include "schema/result.hpp"

namespace re2 {
class RE2;
}

namespace selfheal::llm {

/// True if the digits of `s` (spaces and dashes ignored) pass the Luhn check and number 13..19.
bool luhn_valid(std::string_view s);

class Redactor {
 public:
  /// Compiles the built-in rules and the user's patterns. Errors: config (a pattern does not compile).
  static Result<std::unique_ptr<Redactor>> create(const RedactConfig& cfg);
  ~Redactor();
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  /// Returns `text` with every secret replaced. Pure and thread-safe.
  std::string redact(std::string_view text) const;
  /// Same, counting replacements per kind into `counts`.
  std::string redact(std::string_view text, std::map<std::string, int>& counts) const;

 private:
  struct Rule;
  explicit Redactor(std::vector<Rule> rules);
  std::vector<Rule> rules_;
};

}  // namespace selfheal::llm
