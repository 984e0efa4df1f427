#pragma once
// Learned template merges in `selfheal serve`: the same order-independent learner as
// `selfheal fingerprint` (fingerprint/merge.hpp), run over the templates of the plain-message
// fingerprints in the store. A template position that takes many values becomes <*>: its
// fingerprints are merged (actor "learner", audited) into the fingerprint of the learned template,
// so future events count there and unmerge restores them. A person's unmerge is never undone.
#include <cstddef>
#include <memory>

#include "app/context.hpp"
#include "schema/stores.hpp"

namespace selfheal::app {

class Fingerprinting;

struct LearnReport {
  std::size_t templates = 0;  // templates considered
  std::size_t merged = 0;     // fingerprints merged this round
};

/// One learning round (the component below calls it every fingerprint.learn_interval_ms).
Result<LearnReport> learn_template_merges(Stores& stores, Fingerprinting& fp, std::size_t min_distinct);

std::unique_ptr<Component> make_learner_component(AppContext& ctx);

}  // namespace selfheal::app
