#include "app/fingerprinting.hpp"

#include <re2/re2.h>

#include <nlohmann/json.hpp>

#include "fingerprint/fingerprint.hpp"

namespace selfheal::app {

Fingerprinting::Fingerprinting(const FingerprintConfig& cfg) : cfg_(cfg) {
  for (const auto& r : cfg_.rules) {
    Rule rule{r, nullptr};
    if (!r.message_regex.empty()) {
      RE2::Options o;
      o.set_log_errors(false);
      rule.re = std::make_unique<re2::RE2>(r.message_regex, o);
    }
    rules_.push_back(std::move(rule));
  }
}

Fingerprinting::~Fingerprinting() = default;

std::unique_ptr<fingerprint::Engine> Fingerprinting::acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      auto e = std::move(pool_.back());
      pool_.pop_back();
      return e;
    }
  }
  fingerprint::Options o;
  o.max_event_bytes = static_cast<std::size_t>(cfg_.max_event_bytes);
  o.user_masks = cfg_.user_masks;
  return std::make_unique<fingerprint::Engine>(o);
}

void Fingerprinting::release(std::unique_ptr<fingerprint::Engine> e) {
  std::lock_guard lock(pool_mu_);
  pool_.push_back(std::move(e));
}

namespace {
std::string frames_to_json(const std::vector<fingerprint::Frame>& frames) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& f : frames) {
    arr.push_back({{"module", f.module}, {"function", f.function}, {"file", f.file}, {"line", f.line},
                   {"in_app", f.in_app}});
    if (arr.size() >= 64) break;
  }
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

FingerprintInfo Fingerprinting::compute(const LogEvent& e) {
  auto engine = acquire();
  fingerprint::Fingerprint fp = engine->compute(e.message);
  release(std::move(engine));
  FingerprintInfo info;
  info.id = fp.id;
  info.template_text = std::move(fp.template_text);
  info.exception_type = std::move(fp.exception_type);
  info.frames_json = frames_to_json(fp.frames);
  info.values = std::move(fp.values);
  for (const auto& rule : rules_) {
    const auto& r = rule.cfg;
    if (!r.service.empty() && r.service != e.service) continue;
    if (!r.exception_type.empty() && r.exception_type != info.exception_type) continue;
    bool labels_ok = true;
    for (const auto& [k, v] : r.labels) labels_ok = labels_ok && label(e.labels, k) == v;
    if (!labels_ok) continue;
    if (rule.re && !RE2::PartialMatch(e.message, *rule.re)) continue;
    const std::string key = r.fingerprint.empty() ? r.name : r.fingerprint;
    info.id = fingerprint::custom_id(r.name, key);
    info.template_text = "[rule " + r.name + "] " + info.template_text;
    break;
  }
  info.id = resolve(info.id);
  return info;
}

std::string Fingerprinting::explain(std::string_view text) {
  auto engine = acquire();
  std::string out = engine->explain_json(text);
  release(std::move(engine));
  return out;
}

std::string Fingerprinting::id_for_template(std::string_view template_text) {
  auto engine = acquire();
  std::string out = engine->id_for_template(template_text);
  release(std::move(engine));
  return out;
}

void Fingerprinting::set_merges(std::unordered_map<std::string, std::string> merges) {
  std::unique_lock lock(merges_mu_);
  merges_ = std::move(merges);
}

std::string Fingerprinting::resolve(const std::string& id) const {
  std::shared_lock lock(merges_mu_);
  std::string cur = id;
  for (int hops = 0; hops < 8; ++hops) {  // chains are flattened on write; bound anyway
    auto it = merges_.find(cur);
    if (it == merges_.end()) break;
    cur = it->second;
  }
  return cur;
}

}  // namespace selfheal::app
