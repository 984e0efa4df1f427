#pragma once
// The seam to the LLM module: a `suggest` action asks for a fix suggestion for a fingerprint.
// app/ wires the LLM worker in; the healer never depends on llm/ internals.
#include <string>

#include "schema/result.hpp"

namespace selfheal::healer {

class SuggestionRequester {
 public:
  virtual ~SuggestionRequester() = default;
  /// Queues (or runs) a suggestion for the fingerprint. Must not block for long (it is called on a
  /// healer action thread). Thread-safe. Errors: unavailable (retry later), not_found, config.
  virtual Result<void> request_suggestion(const std::string& fingerprint_id) = 0;
};

}  // namespace selfheal::healer
