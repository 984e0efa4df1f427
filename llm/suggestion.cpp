#include "llm/suggestion.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

namespace selfheal::llm {
namespace {

constexpr std::size_t max_field_chars = 4000;
constexpr std::size_t max_evidence_items = 10;
constexpr std::size_t max_evidence_chars = 500;

std::string cap(std::string s, std::size_t n) {
  if (s.size() > n) {
    s.resize(n);
    // do not leave half a UTF-8 sequence
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
    if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
  }
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

/// Some models wrap JSON in ```json fences despite the schema; accept that, nothing looser.
std::string_view strip_fences(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  s.remove_prefix(b);
  if (s.substr(0, 3) != "```") return s;
  auto nl = s.find('\n');
  if (nl == std::string_view::npos) return s;
  s.remove_prefix(nl + 1);
  auto end = s.rfind("```");
  if (end != std::string_view::npos) s = s.substr(0, end);
  return s;
}

}  // namespace

const std::string& suggestion_schema_json() {
  static const std::string schema = R"({"type":"object","additionalProperties":false,)"
                                    R"("required":["summary","root_cause","suggested_fix","evidence","confidence"],)"
                                    R"("properties":{"summary":{"type":"string"},"root_cause":{"type":"string"},)"
                                    R"("suggested_fix":{"type":"string"},)"
                                    R"("evidence":{"type":"array","items":{"type":"string"}},)"
                                    R"("confidence":{"type":"number"}}})";
  return schema;
}

Result<ParsedSuggestion> parse_suggestion(const Completion& c) {
  if (c.finish_reason == "length") {
    return make_error(ErrorCode::bad_input, "answer cut off at the output-token limit (finish_reason length)");
  }
  if (c.finish_reason == "content_filter" || c.finish_reason == "refusal") {
    return make_error(ErrorCode::bad_input, "the model declined to answer (" + c.finish_reason + ")");
  }
  std::string_view text = strip_fences(c.content);
  if (text.empty()) return make_error(ErrorCode::bad_input, "empty answer");
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return make_error(ErrorCode::bad_input, "answer is not valid JSON");
  if (!j.is_object()) return make_error(ErrorCode::bad_input, "answer is not a JSON object");
  ParsedSuggestion s;
  for (const char* key : {"summary", "root_cause", "suggested_fix"}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) {
      return make_error(ErrorCode::bad_input, std::string("answer lacks the string field ") + key);
    }
  }
  s.summary = cap(trim(j["summary"].get<std::string>()), max_field_chars);
  s.root_cause = cap(trim(j["root_cause"].get<std::string>()), max_field_chars);
  s.suggested_fix = cap(trim(j["suggested_fix"].get<std::string>()), max_field_chars);
  if (s.summary.empty() && s.suggested_fix.empty()) {
    return make_error(ErrorCode::bad_input, "answer has neither a summary nor a fix");
  }
  auto conf = j.find("confidence");
  if (conf == j.end() || !conf->is_number()) {
    return make_error(ErrorCode::bad_input, "answer lacks the number field confidence");
  }
  double v = conf->get<double>();
  if (!std::isfinite(v)) v = 0;
  double clamped = std::clamp(v, 0.0, 1.0);
  s.confidence_clamped = clamped != v;
  s.model_confidence = clamped;
  if (auto ev = j.find("evidence"); ev != j.end()) {
    if (ev->is_string()) {
      s.evidence.push_back(cap(trim(ev->get<std::string>()), max_evidence_chars));
    } else if (ev->is_array()) {
      for (const auto& item : *ev) {
        if (s.evidence.size() >= max_evidence_items) break;
        if (item.is_string()) {
          std::string t = trim(item.get<std::string>());
          if (!t.empty()) s.evidence.push_back(cap(std::move(t), max_evidence_chars));
        }
      }
    } else if (!ev->is_null()) {
      return make_error(ErrorCode::bad_input, "answer field evidence is not a list of strings");
    }
  }
  return s;
}

bool evidence_supported(std::string_view item, const EvidenceFacts& facts) {
  const std::string it = lower(item);
  if (it.size() < 3) return false;
  auto contains = [&](const std::string& needle) {
    return needle.size() >= 3 && it.find(lower(needle)) != std::string::npos;
  };
  if (!facts.exception_type.empty()) {
    if (contains(facts.exception_type)) return true;
    auto dot = facts.exception_type.find_last_of(".:");  // java.lang.NullPointerException, pkg::Error
    if (dot != std::string::npos && facts.exception_type.size() - dot > 6 &&
        contains(facts.exception_type.substr(dot + 1))) {
      return true;
    }
  }
  for (const auto& a : facts.frame_anchors) {
    if (a.size() >= 4 && contains(a)) return true;
  }
  // Literal pieces of the template between <*> placeholders (at least 8 characters, so "error" alone
  // does not count).
  std::string_view t = facts.template_text;
  while (!t.empty()) {
    auto p = t.find("<*>");
    std::string piece = trim(t.substr(0, p));
    if (piece.size() >= 8 && contains(piece)) return true;
    if (p == std::string_view::npos) break;
    t.remove_prefix(p + 3);
  }
  // The cited item quotes (part of) a sample or the template.
  std::string core = trim(it);
  for (char q : {'"', '\'', '`'}) {
    if (core.size() >= 2 && core.front() == q && core.back() == q) core = core.substr(1, core.size() - 2);
  }
  if (core.size() >= 12) {
    if (lower(facts.template_text).find(core) != std::string::npos) return true;
    for (const auto& s : facts.samples) {
      if (lower(s).find(core) != std::string::npos) return true;
    }
  }
  return false;
}

ConfidenceBreakdown displayed_confidence(const ParsedSuggestion& s, const EvidenceFacts& facts) {
  ConfidenceBreakdown b;
  b.model = std::clamp(std::isfinite(s.model_confidence) ? s.model_confidence : 0.0, 0.0, 1.0);
  b.cited = static_cast<int>(s.evidence.size());
  for (const auto& e : s.evidence) b.supported += evidence_supported(e, facts) ? 1 : 0;
  // No citations: the answer cannot be checked. Every unsupported citation is a sign of invention.
  b.evidence = b.cited == 0 ? 0.5 : 0.4 + 0.6 * static_cast<double>(b.supported) / b.cited;
  // One event is an anecdote; 10,000 a pattern the samples represent well.
  double occ = static_cast<double>(std::max<std::int64_t>(1, facts.occurrences));
  b.occurrence = std::min(1.0, 0.6 + 0.1 * std::log10(occ));
  // A strategy that already fixed it confirms an operational cause the model can reason from.
  b.history = facts.strategy_succeeded ? 1.1 : 1.0;
  double d = std::clamp(b.model * b.evidence * b.occurrence * b.history, 0.0, 1.0);
  b.displayed = std::round(d * 100.0) / 100.0;
  return b;
}

}  // namespace selfheal::llm
