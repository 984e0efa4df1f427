#pragma once
// Thread-safe front of the fingerprint engine for the pipeline: a pool of fingerprint::Engine
// (each not thread-safe), user fingerprint rules applied before the default algorithm, and the
// merge table (future events of a merged id count on its target).
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/config.hpp"
#include "schema/model.hpp"

namespace re2 {
class RE2;
}
namespace selfheal::fingerprint {
class Engine;
}

namespace selfheal::app {

class Fingerprinting {
 public:
  explicit Fingerprinting(const FingerprintConfig& cfg);
  ~Fingerprinting();

  /// Fingerprint of one event: a matching user rule wins, else the default algorithm; then merges.
  FingerprintInfo compute(const LogEvent& e);
  /// The explanation JSON of the default algorithm for a text.
  std::string explain(std::string_view text);
  /// The id the default algorithm gives a plain message with this template (learned merges).
  std::string id_for_template(std::string_view template_text);
  /// Replaces the merge table (source id -> target id). Thread-safe.
  void set_merges(std::unordered_map<std::string, std::string> merges);
  /// Resolves an id through the merge table.
  std::string resolve(const std::string& id) const;

 private:
  struct Rule {
    FingerprintRule cfg;
    std::unique_ptr<re2::RE2> re;
  };
  std::unique_ptr<fingerprint::Engine> acquire();
  void release(std::unique_ptr<fingerprint::Engine> e);

  FingerprintConfig cfg_;
  std::vector<Rule> rules_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<fingerprint::Engine>> pool_;
  mutable std::shared_mutex merges_mu_;
  std::unordered_map<std::string, std::string> merges_;
};

}  // namespace selfheal::app
