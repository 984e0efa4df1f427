// JSON view of an LLM suggestion, shared by the HTTP API (app/api_suggestions.cpp) and the CLI's
// offline mode (app/cmd_llm.cpp), so both show the same fields.
#include "app/suggestion_views.hpp"

#include "schema/time_format.hpp"

namespace selfheal::app {
namespace {

using nlohmann::json;

json parse_or(const std::string& text, json fallback) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

std::string time_or_null(UnixMs t) {
  return t ? format_rfc3339(t) : std::string();
}

}  // namespace

nlohmann::json suggestion_json(const StoredSuggestion& s, bool with_raw) {
  using nlohmann::json;
  json j = {{"id", s.id},
            {"fingerprint_id", s.fingerprint_id},
            {"status", s.status},
            {"summary", s.summary},
            {"root_cause", s.root_cause},
            {"suggested_fix", s.suggested_fix},
            {"evidence", parse_or(s.evidence_json, json::array())},
            {"confidence", s.confidence},
            {"model_confidence", s.model_confidence},
            {"confidence_detail", parse_or(s.confidence_detail_json, json::object())},
            {"provider", s.provider},
            {"model", s.model},
            {"context_hash", s.context_hash},
            {"usage",
             {{"prompt_tokens", s.prompt_tokens},
              {"completion_tokens", s.completion_tokens},
              {"cost_usd", s.cost_usd},
              {"latency_ms", s.latency_ms}}},
            {"requested_by", s.requested_by},
            {"created_at", format_rfc3339(s.created_at)},
            {"review", {{"by", s.reviewed_by}, {"at", time_or_null(s.reviewed_at)}, {"comment", s.review_comment}}},
            {"applied", {{"by", s.applied_by}, {"at", time_or_null(s.applied_at)}, {"comment", s.apply_comment}}}};
  if (with_raw) j["raw"] = s.raw;
  return j;
}

}  // namespace selfheal::app
