#pragma once
// The context builder: fingerprint facts -> the redacted, budgeted prompt. Deterministic (same
// facts, same bytes), no tool calling, sized for an 8k-token local model by default.
//
// Truncation priorities (highest kept first; the prompt is always rendered in one fixed order):
//   1. fingerprint id, exception type, severity, template (template capped at 2,000 characters)
//   2. root-cause frames, in-app first (at most 12)
//   3. statistics: counts, rate, first/last seen, services, hosts
//   4. the first 3 samples (each capped at 1,200 characters, then 400 if space is short)
//   5. healing history of this fingerprint (at most 5 entries)
//   6. samples 4..max_samples
// Whatever does not fit into context_tokens - max_output_tokens - system prompt is dropped and
// listed in BuiltContext::dropped.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "llm/provider.hpp"
#include "schema/redact.hpp"
#include "llm/suggestion.hpp"
#include "schema/store.hpp"

namespace selfheal::llm {

/// One earlier healing run on this fingerprint (filled by app/ from the healer's log, if any).
struct HealingEntry {
  UnixMs ts = 0;
  std::string strategy;
  std::string action;
  std::string outcome;  // succeeded | failed | skipped ...
  bool succeeded = false;
};

struct FingerprintFacts {
  FingerprintSummary summary;
  std::vector<MinuteCount> series;  // last hour, per minute
  std::vector<StoredSample> samples;
  std::vector<HealingEntry> history;
};

struct ContextOptions {
  std::int64_t context_tokens = 8'192;
  std::int64_t max_output_tokens = 800;
  std::int64_t max_samples = 5;  // clamped to 3..5
  double temperature = 0.2;
};

struct BuiltContext {
  SuggestionRequest request;
  std::string context_hash;  // SHA-256 hex over the non-statistics parts of the prompt
  std::int64_t estimated_prompt_tokens = 0;
  std::vector<std::string> dropped;       // what the budget left out, e.g. "sample 5", "frame 9"
  std::map<std::string, int> redactions;  // kind -> count
  EvidenceFacts evidence;                 // for the confidence checks (redacted, as the model saw it)
};

/// Conservative token estimate for mixed code/log text: one token per 3 bytes, rounded up.
std::int64_t estimate_tokens(std::string_view text);

/// The fixed system prompt.
const std::string& system_prompt();

/// Builds the prompt. Every field goes through `redactor`. Errors: config when the budget cannot
/// hold even the fingerprint header (context_tokens too small for max_output_tokens).
Result<BuiltContext> build_context(const FingerprintFacts& facts, const Redactor& redactor, const ContextOptions& opts,
                                   UnixMs now);

/// SHA-256 of `data`, lower-case hex.
std::string sha256_hex(std::string_view data);

}  // namespace selfheal::llm
