#include "llm/context.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "schema/time_format.hpp"

namespace selfheal::llm {
namespace {

constexpr std::size_t max_template_chars = 2000;
constexpr std::size_t max_frames = 12;
constexpr std::size_t sample_chars_long = 1200;
constexpr std::size_t sample_chars_short = 400;
constexpr std::size_t max_history = 5;
constexpr std::size_t max_labels = 8;
constexpr std::int64_t safety_tokens = 64;  // chat framing, role tokens

std::string cut(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  std::string out(s.substr(0, n));
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) out.pop_back();
  return out + " …[truncated]";
}

struct FrameView {
  std::string text;
  std::vector<std::string> anchors;
  bool in_app = false;
};

std::vector<FrameView> parse_frames(const std::string& frames_json, const Redactor& r,
                                    std::map<std::string, int>& counts) {
  std::vector<FrameView> out;
  nlohmann::json j = nlohmann::json::parse(frames_json, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return out;
  auto str = [](const nlohmann::json& o, const char* k) {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::vector<FrameView> app, other;
  for (const auto& f : j) {
    if (!f.is_object()) continue;
    FrameView v;
    std::string module = r.redact(cut(str(f, "module"), 200), counts);
    std::string function = r.redact(cut(str(f, "function"), 200), counts);
    std::string file = r.redact(cut(str(f, "file"), 200), counts);
    int line = f.contains("line") && f["line"].is_number_integer() ? f["line"].get<int>() : 0;
    v.in_app = f.contains("in_app") && f["in_app"].is_boolean() && f["in_app"].get<bool>();
    std::string name = module.empty() ? function : (function.empty() ? module : module + "." + function);
    v.text = std::string(v.in_app ? "[app] " : "[lib] ") + name;
    if (!file.empty()) v.text += " (" + file + (line > 0 ? ":" + std::to_string(line) : "") + ")";
    for (auto* a : {&name, &function, &file}) {
      if (!a->empty()) v.anchors.push_back(*a);
    }
    (v.in_app ? app : other).push_back(std::move(v));
  }
  for (auto& f : other) app.push_back(std::move(f));
  return app;
}

std::string labels_text(const std::string& labels_json, const Redactor& r, std::map<std::string, int>& counts) {
  nlohmann::json j = nlohmann::json::parse(labels_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.empty()) return {};
  std::string out;
  std::size_t n = 0;
  for (auto it = j.begin(); it != j.end() && n < max_labels; ++it, ++n) {
    std::string v = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
    if (!out.empty()) out += ", ";
    out += r.redact(cut(it.key(), 64) + "=\"" + cut(v, 200) + "\"", counts);
  }
  return "{" + out + "}";
}

int kind_rank(const std::string& kind) {
  if (kind == "first") return 0;
  if (kind == "reservoir") return 1;
  return 2;
}

std::string fmt_rate(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v >= 10 ? "%.0f" : "%.2g", v);
  return buf;
}

}  // namespace

std::int64_t estimate_tokens(std::string_view text) {
  return static_cast<std::int64_t>((text.size() + 2) / 3);
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

const std::string& system_prompt() {
  static const std::string p =
      "You help on-call engineers fix a production error. You get one error group: its message template, "
      "exception type, stack frames, statistics, a few redacted samples and earlier automatic healing attempts. "
      "Answer with one JSON object only: summary (one sentence), root_cause (the most likely cause), "
      "suggested_fix (concrete steps for a person; never commands to run automatically), evidence (a list of "
      "the exact frames, template parts or sample lines from the input that support your answer; cite only "
      "what is in the input) and confidence (a number from 0 to 1: how likely your root cause is right). "
      "If the input does not show the cause, say so and give a low confidence. [REDACTED:...] marks removed "
      "secrets; do not guess them.";
  return p;
}

Result<BuiltContext> build_context(const FingerprintFacts& facts, const Redactor& r, const ContextOptions& opts,
                                   UnixMs now) {
  BuiltContext out;
  auto& counts = out.redactions;
  const auto& s = facts.summary;
  const std::int64_t budget =
      opts.context_tokens - opts.max_output_tokens - estimate_tokens(system_prompt()) - safety_tokens;

  // 1. header (mandatory)
  std::string tmpl = r.redact(cut(s.template_text, max_template_chars), counts);
  std::string exc = r.redact(cut(s.exception_type, 300), counts);
  std::string header = "Error group " + s.id + "\n";
  if (!exc.empty()) header += "Exception type: " + exc + "\n";
  header += "Severity: " + (s.severity.empty() ? std::string("unknown") : s.severity) + "\n";
  header += "Status: " + (s.status.empty() ? std::string("unresolved") : s.status) + "\n";
  header += "Message template (<*> marks variable parts):\n" + tmpl + "\n";
  std::int64_t used = estimate_tokens(header);
  if (used > budget) {
    return make_error(ErrorCode::config, "llm.context_tokens " + std::to_string(opts.context_tokens) +
                                             " leaves no room for the error itself after max_output_tokens " +
                                             std::to_string(opts.max_output_tokens));
  }
  auto fits = [&](const std::string& piece) {
    std::int64_t t = estimate_tokens(piece);
    if (used + t > budget) return false;
    used += t;
    return true;
  };

  // 2. frames
  std::vector<FrameView> frames = parse_frames(s.frames_json, r, counts);
  std::string frames_text;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    std::string line = "  " + std::to_string(i + 1) + ". " + frames[i].text + "\n";
    if (i >= max_frames || !fits(line)) {
      out.dropped.push_back("frame " + std::to_string(i + 1));
      continue;
    }
    frames_text += line;
    for (auto& a : frames[i].anchors) out.evidence.frame_anchors.push_back(a);
  }
  if (!frames_text.empty()) frames_text = "Root-cause stack frames (in-app first):\n" + frames_text;

  // 3. statistics (excluded from the context hash: they change with every event)
  std::int64_t last_hour = 0, peak = 0;
  for (const auto& m : facts.series) {
    if (m.minute >= now - 3'600'000 && m.minute < now) {
      last_hour += m.count;
      peak = std::max(peak, m.count);
    }
  }
  std::string stats = "Occurrences: " + std::to_string(s.count) + " in total; " + std::to_string(last_hour) +
                      " in the last hour (" + fmt_rate(static_cast<double>(last_hour) / 60.0) + "/min, peak " +
                      std::to_string(peak) + "/min)\n";
  if (s.first_seen) stats += "First seen: " + format_rfc3339(s.first_seen) + "\n";
  if (s.last_seen) stats += "Last seen: " + format_rfc3339(s.last_seen) + "\n";
  if (s.regressed_at) stats += "Regressed (came back after being resolved): " + format_rfc3339(s.regressed_at) + "\n";
  auto names = [&](const char* title, const std::vector<NamedCount>& v) {
    if (v.empty()) return std::string();
    std::string t = std::string(title) + ": ";
    for (std::size_t i = 0; i < v.size() && i < 10; ++i) {
      if (i) t += ", ";
      t += r.redact(cut(v[i].name, 100), counts) + " (" + std::to_string(v[i].count) + ")";
    }
    if (v.size() > 10) t += ", and " + std::to_string(v.size() - 10) + " more";
    return t + "\n";
  };
  stats += names("Services", s.services);
  stats += names("Hosts", s.hosts);
  if (!fits(stats)) {
    out.dropped.push_back("statistics");
    stats.clear();
  }

  // 4 + 6. samples: stable ones first (first < reservoir < recent), then by time; distinct messages
  std::vector<StoredSample> samples = facts.samples;
  std::stable_sort(samples.begin(), samples.end(), [](const StoredSample& a, const StoredSample& b) {
    if (kind_rank(a.kind) != kind_rank(b.kind)) return kind_rank(a.kind) < kind_rank(b.kind);
    if (a.ts != b.ts) return a.ts < b.ts;
    return a.message < b.message;
  });
  const std::size_t want = static_cast<std::size_t>(std::clamp<std::int64_t>(opts.max_samples, 3, 5));
  std::vector<std::string> chosen_msgs;
  std::vector<std::string> sample_blocks;
  std::vector<std::string> later_blocks;  // samples 4..5 wait for the history
  std::vector<std::string> later_msgs;
  for (const auto& smp : samples) {
    if (chosen_msgs.size() + later_msgs.size() >= want) break;
    std::string msg = r.redact(smp.message, counts);
    bool dup = std::find(chosen_msgs.begin(), chosen_msgs.end(), msg) != chosen_msgs.end() ||
               std::find(later_msgs.begin(), later_msgs.end(), msg) != later_msgs.end();
    if (dup) continue;
    std::string head = "--- sample";
    if (!smp.service.empty()) head += " service=" + r.redact(cut(smp.service, 100), counts);
    if (smp.ts) head += " at " + format_rfc3339(smp.ts);
    std::string labels = labels_text(smp.labels_json, r, counts);
    if (!labels.empty()) head += " labels " + labels;
    head += "\n";
    if (chosen_msgs.size() < 3) {
      std::string block = head + cut(msg, sample_chars_long) + "\n";
      if (!fits(block)) {
        block = head + cut(msg, sample_chars_short) + "\n";
        if (!fits(block)) {
          out.dropped.push_back("sample " + std::to_string(chosen_msgs.size() + 1));
          chosen_msgs.push_back(msg);  // counted as considered, not sent
          continue;
        }
      }
      sample_blocks.push_back(block);
      out.evidence.samples.push_back(msg);
      chosen_msgs.push_back(msg);
    } else {
      later_blocks.push_back(head + cut(msg, sample_chars_long) + "\n");
      later_msgs.push_back(msg);
    }
  }

  // 5. history
  std::string history;
  std::vector<HealingEntry> hist = facts.history;
  std::stable_sort(hist.begin(), hist.end(), [](const HealingEntry& a, const HealingEntry& b) { return a.ts > b.ts; });
  for (std::size_t i = 0; i < hist.size(); ++i) {
    out.evidence.strategy_succeeded = out.evidence.strategy_succeeded || hist[i].succeeded;
    std::string line = "  - " + format_rfc3339(hist[i].ts) + " " + r.redact(cut(hist[i].strategy, 100), counts) + "/" +
                       r.redact(cut(hist[i].action, 100), counts) + ": " + r.redact(cut(hist[i].outcome, 200), counts) +
                       "\n";
    if (i >= max_history || !fits(line)) {
      out.dropped.push_back("history " + std::to_string(i + 1));
      continue;
    }
    history += line;
  }
  history = history.empty() ? "Earlier automatic healing: none recorded\n"
                            : "Earlier automatic healing (newest first):\n" + history;

  // 6. remaining samples
  for (std::size_t i = 0; i < later_blocks.size(); ++i) {
    if (!fits(later_blocks[i])) {
      out.dropped.push_back("sample " + std::to_string(4 + i));
      continue;
    }
    sample_blocks.push_back(later_blocks[i]);
    out.evidence.samples.push_back(later_msgs[i]);
  }

  std::string samples_text = "Samples (" + std::to_string(sample_blocks.size()) + ", secrets redacted):\n";
  for (const auto& b : sample_blocks) samples_text += b;

  std::string stable = header + frames_text + history + samples_text;
  out.request.fingerprint_id = s.id;
  out.request.system_prompt = system_prompt();
  out.request.user_prompt = header + frames_text + stats + history + samples_text +
                            "\nExplain the most likely root cause and a fix, as the JSON object described.";
  out.request.max_output_tokens = opts.max_output_tokens;
  out.request.temperature = opts.temperature;
  out.estimated_prompt_tokens = estimate_tokens(out.request.system_prompt) + estimate_tokens(out.request.user_prompt);
  out.context_hash = sha256_hex(system_prompt() + "\x1f" + stable);
  out.evidence.template_text = tmpl;
  out.evidence.exception_type = exc;
  out.evidence.occurrences = s.count;
  return out;
}

}  // namespace selfheal::llm
