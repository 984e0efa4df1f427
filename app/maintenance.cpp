#include "app/maintenance.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "schema/log.hpp"

namespace selfheal::app {
namespace {
class Maintenance final : public Component {
 public:
  explicit Maintenance(AppContext& ctx) : ctx_(ctx) {}
  ~Maintenance() override { stop(); }
  std::string_view name() const override { return "retention"; }
  Result<void> start() override {
    thread_ = std::thread([this] { loop(); });
    return {};
  }
  void stop() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    auto& pruned = ctx_.metrics.counter("selfheal_store_pruned_rows_total", "Rows removed or rolled up by retention.");
    while (true) {
      RetentionPolicy p;
      p.now = ctx_.clock.now_ms();
      p.minute_rollup_after_ms = ctx_.config.stats.minute_rollup_after_ms;
      p.retention_ms = ctx_.config.storage.retention_days * 86'400'000LL;
      auto r = ctx_.store.prune(p);
      if (r) {
        const auto total =
            r->minutes_rolled_up + r->hours_pruned + r->samples_pruned + r->dead_letters_pruned + r->healing_rows_pruned;
        pruned.inc(static_cast<std::uint64_t>(total));
        if (total > 0)
          spdlog::info("Retention ran. minutes_rolled_up={} hours_pruned={} samples_pruned={} dead_letters_pruned={} "
                       "healing_rows_pruned={}",
                       r->minutes_rolled_up, r->hours_pruned, r->samples_pruned, r->dead_letters_pruned,
                       r->healing_rows_pruned);
      } else {
        spdlog::warn("Retention failed; will retry. error=\"{}\"", r.error().message);
      }
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, std::chrono::milliseconds(ctx_.config.stats.prune_interval_ms), [this] { return stopping_; }))
        return;
    }
  }
  AppContext& ctx_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};
}  // namespace

std::unique_ptr<Component> make_maintenance_component(AppContext& ctx) { return std::make_unique<Maintenance>(ctx); }

}  // namespace selfheal::app
