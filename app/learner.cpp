#include "app/learner.hpp"

#include <malloc.h>

#include <unordered_map>
#include <unordered_set>

#include "app/fingerprinting.hpp"
#include "app/periodic.hpp"
#include "app/store_admin.hpp"
#include "fingerprint/fingerprint.hpp"
#include "fingerprint/merge.hpp"
#include "schema/log.hpp"
#include "schema/stores.hpp"

namespace selfheal::app {

constexpr const char* kLearner = "learner";
constexpr std::size_t kMaxTemplates = 200'000;  // one round reads at most this many fingerprints

Result<LearnReport> learn_template_merges(Stores& stores, Fingerprinting& fp, std::size_t min_distinct) {
  LifecycleStore& lc = stores.lifecycle();
  FingerprintAdminStore& admin = stores.fingerprint_admin();
  auto rows = admin.message_fingerprints(kMaxTemplates);
  if (!rows) return rows.error();
  auto refused = admin.unmerged_by_people(kLearner);
  if (!refused) return refused.error();
  const std::unordered_set<std::string> keep_apart(refused->begin(), refused->end());

  // Only ids the default algorithm gave to their template (a user rule's custom id is left alone).
  std::unordered_map<std::string_view, const MessageFingerprint*> by_template;  // views into rows
  std::vector<std::string_view> templates;  // views into rows
  for (const auto& r : *rows) {
    if (fp.id_for_template(r.template_text) != r.id) continue;
    if (by_template.emplace(r.template_text, &r).second) templates.push_back(r.template_text);
  }
  auto learned = admin.learned_templates();
  if (!learned) return learned.error();
  const std::unordered_map<std::string, std::string> learned_rows(learned->begin(), learned->end());
  fingerprint::MergeOptions mo;
  mo.min_distinct = min_distinct;
  LearnReport rep;
  rep.templates = templates.size();
  for (const auto& m : fingerprint::learn_merges(std::span<const std::string_view>(templates), mo)) {
    const auto* src = by_template.at(m.from);
    const std::string target = fp.id_for_template(m.into);
    // Every round learns the same merges from the same set: skip what is merged already (by the
    // learner or a person) and what a person took apart.
    if (target == src->id || src->merged_into == target || keep_apart.count(src->id)) continue;
    if (!src->merged_into.empty()) {
      // Merged by an earlier round into a learned template that more data has since widened
      // ("a <*> b c" -> "a <*> b <*>"): fold the old learned row into the new one, so the CLI's
      // grouping over the whole set and serve's agree. A person's merge is left alone.
      const std::string old = src->merged_into;
      auto learned_row = learned_rows.find(old);
      if (learned_row == learned_rows.end() || keep_apart.count(old)) continue;
      if (auto e = admin.ensure_learned(target, m.into, *src, fingerprint::algorithm_version); !e) return e.error();
      if (fingerprint::template_covers(m.into, learned_row->second)) {
        // Everything the old learned template stood for fits the new one: fold it in.
        if (auto mg = lc.merge(old, target, kLearner); !mg) {
          if (mg.error().code == ErrorCode::conflict) continue;
          return mg.error();
        }
      } else {
        // Only this template moves; the old learned row keeps the others it covers.
        if (auto um = lc.unmerge(src->id, kLearner); !um && um.error().code != ErrorCode::conflict) return um.error();
        if (auto mg = lc.merge(src->id, target, kLearner); !mg) {
          if (mg.error().code == ErrorCode::conflict) continue;
          return mg.error();
        }
      }
      ++rep.merged;
      continue;
    }
    if (auto e = admin.ensure_learned(target, m.into, *src, fingerprint::algorithm_version); !e) return e.error();
    if (auto mg = lc.merge(src->id, target, kLearner); !mg) {
      if (mg.error().code == ErrorCode::conflict) continue;  // e.g. merged meanwhile by a person
      return mg.error();
    }
    ++rep.merged;
  }
  if (rep.merged > 0) load_merges(lc, fp);
  return rep;
}

std::unique_ptr<Component> make_learner_component(AppContext& ctx) {
  auto& merged = ctx.metrics.counter("selfheal_fingerprint_learned_merges_total",
                                     "Fingerprints merged into a learned template (a position with many values).");
  auto& rounds = ctx.metrics.counter("selfheal_fingerprint_learner_rounds_total",
                                     "Learner rounds finished (successful or not) over the stored templates.");
  // The first round waits one interval: a fresh start has little to learn from.
  return std::make_unique<PeriodicComponent>(
      "learner", std::chrono::milliseconds(ctx.config.fingerprint.learn_interval_ms), false, ctx.clock,
      [&ctx, &merged, &rounds]() -> Result<void> {
        auto r = learn_template_merges(ctx.stores, *ctx.fingerprinting,
                                       static_cast<std::size_t>(ctx.config.fingerprint.learn_min_distinct));
        if (!r) {
          spdlog::warn("Learning template merges failed; will retry. error=\"{}\"", r.error().message);
        } else if (r->merged > 0) {
          merged.inc(r->merged);
          spdlog::info("Learned template merges. merged={} templates={}", r->merged, r->templates);
        }
        rounds.inc(1);
        // A round over many templates allocates and frees a lot at once: hand it back to the OS.
        malloc_trim(0);
        if (!r) return r.error();
        return ok();
      });
}

}  // namespace selfheal::app
