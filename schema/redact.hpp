#pragma once
// Secret redaction before anything leaves the machine. One Redactor is built by the composition root
// (from `llm.redact`) and every outbound body goes through it: the LLM prompt (every field of the
// context), notify channels, webhooks and HTTP action payloads (healer). Replacements are
// "[REDACTED:<kind>]", so people reading a preview see what was removed.
//
// It lives in schema/ (the lowest layer) because both llm/ and healer/ use it and healer must not
// depend on llm/. RE2 stays private to the implementation.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "schema/result.hpp"

namespace selfheal {

struct RedactConfig {
  bool ips = true;  // IPv4/IPv6 addresses
  bool emails = true;
  std::vector<std::string> patterns;  // user RE2 patterns, whole match replaced
};

/// True if the digits of `s` (spaces and dashes ignored) pass the Luhn check and number 13..19.
bool luhn_valid(std::string_view s);
/// True if `key` names a secret (password, secret, token, credential, session id, auth, signature,
/// an API/private/access... key, an environment-style *_KEY) rather than a property of one
/// (`max_tokens`, `token_type`, `secret_name`, `cache_key`). Pure; used by the `secret_value` rule.
bool secret_key_name(std::string_view key);
/// True if `token` looks random: at least 16 letters/digits, two or more of lower/upper/digit, and
/// changes between those classes at least once every four characters. Pure.
bool high_entropy_token(std::string_view token);

class Redactor {
 public:
  /// Compiles the built-in rules and the user's patterns. Errors: config (a pattern does not compile).
  static Result<std::unique_ptr<Redactor>> create(const RedactConfig& cfg);
  /// The built-in rules only (what a component uses when the composition root gave it none).
  static std::shared_ptr<const Redactor> builtin();
  ~Redactor();
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  /// Returns `text` with every secret replaced. Pure, idempotent and thread-safe.
  std::string redact(std::string_view text) const;
  /// Same, counting replacements per kind into `counts`.
  std::string redact(std::string_view text, std::map<std::string, int>& counts) const;

 private:
  struct Rule;
  explicit Redactor(std::vector<Rule> rules);
  std::vector<Rule> rules_;
};

}  // namespace selfheal
