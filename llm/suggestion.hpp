#pragma once
// The answer we ask for, its validation, and the confidence shown to people (formula in
// llm/README.md). LLM output is text for people: it is stored and displayed, never executed.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llm/provider.hpp"
#include "schema/result.hpp"

namespace selfheal::llm {

/// JSON Schema of the answer (strict-mode friendly: all properties required, no extra ones, no
/// numeric bounds; confidence is clamped locally).
const std::string& suggestion_schema_json();
/// Name sent as json_schema.name.
inline constexpr std::string_view suggestion_schema_name = "fix_suggestion";

struct ParsedSuggestion {
  std::string summary;
  std::string root_cause;
  std::string suggested_fix;
  std::vector<std::string> evidence;  // lines/frames/templates the model cites
  double model_confidence = 0;        // clamped to [0, 1]
  bool confidence_clamped = false;    // the model said something outside [0, 1]
};

/// Validates a completion. Errors (bad_input): cut off at the output-token limit (finish_reason
/// length), refusal or content filter, invalid JSON, missing or mistyped fields, empty answer.
/// Field lengths are capped (4,000 characters; 10 evidence items of 500).
Result<ParsedSuggestion> parse_suggestion(const Completion& c);

/// What we know about the fingerprint, for checking the model's evidence.
struct EvidenceFacts {
  std::string template_text;
  std::string exception_type;
  std::vector<std::string> frame_anchors;  // "Class.method", "file.py", function names
  std::vector<std::string> samples;        // redacted sample messages sent in the context
  std::int64_t occurrences = 0;
  bool strategy_succeeded = false;  // a healing strategy already succeeded on this fingerprint
};

/// True if the cited item names something that exists in this fingerprint: a frame anchor, the
/// exception type, a literal piece of the template, or a line of a sample (case-insensitive).
bool evidence_supported(std::string_view item, const EvidenceFacts& facts);

struct ConfidenceBreakdown {
  double model = 0;       // clamped model number
  int cited = 0;          // evidence items
  int supported = 0;      // ... that exist in this fingerprint
  double evidence = 0;    // factor
  double occurrence = 0;  // factor
  double history = 0;     // factor
  double displayed = 0;   // in [0, 1], rounded to 2 decimals
};

/// displayed = clamp(model × evidence × occurrence × history, 0, 1), see llm/README.md.
ConfidenceBreakdown displayed_confidence(const ParsedSuggestion& s, const EvidenceFacts& facts);

}  // namespace selfheal::llm
