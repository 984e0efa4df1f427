#include "app/maintenance.hpp"

#include "app/periodic.hpp"
#include "schema/log.hpp"

namespace selfheal::app {
std::unique_ptr<Component> make_maintenance_component(AppContext& ctx) {
  auto& pruned = ctx.metrics.counter("selfheal_store_pruned_rows_total", "Rows removed or rolled up by retention.");
  return std::make_unique<PeriodicComponent>(
      "retention", std::chrono::milliseconds(ctx.config.stats.prune_interval_ms), true, ctx.clock,
      [&ctx, &pruned]() -> Result<void> {
        RetentionPolicy p;
        p.now = ctx.clock.now_ms();
        p.minute_rollup_after_ms = ctx.config.stats.minute_rollup_after_ms;
        p.retention_ms = ctx.config.storage.retention_days * 86'400'000LL;
        auto r = ctx.store.prune(p);
        if (!r) {
          spdlog::warn("Retention failed; will retry. error=\"{}\"", r.error().message);
          return r.error();
        }
        const auto total =
            r->minutes_rolled_up + r->hours_pruned + r->samples_pruned + r->dead_letters_pruned + r->healing_rows_pruned;
        pruned.inc(static_cast<std::uint64_t>(total));
        if (total > 0)
          spdlog::info("Retention ran. minutes_rolled_up={} hours_pruned={} samples_pruned={} dead_letters_pruned={} "
                       "healing_rows_pruned={}",
                       r->minutes_rolled_up, r->hours_pruned, r->samples_pruned, r->dead_letters_pruned,
                       r->healing_rows_pruned);
        return ok();
      });
}

}  // namespace selfheal::app
