#include "app/kafka_components.hpp"

#include <cstdlib>
#include <memory>

#include "app/ingest_components.hpp"
#include "app/pipeline.hpp"
#include "ingest/kafka_source.hpp"
#include "ingest/runner.hpp"

namespace selfheal::app {
namespace {

class KafkaComponent final : public Component {
 public:
  KafkaComponent(ingest::KafkaConfig cfg, AppContext& ctx) : cfg_(std::move(cfg)), ctx_(ctx), name_("kafka:" + cfg_.name) {}

  std::string_view name() const override { return name_; }

  Result<void> start() override {
    if (runner_) return make_error(ErrorCode::conflict, name_ + " already started");
    auto source = std::make_unique<ingest::KafkaSource>(cfg_, ctx_.store, ctx_.metrics, ctx_.clock, stitch_limits(ctx_.config));
    ingest::KafkaSource* kafka = source.get();
    ingest::RunnerOptions opts;
    opts.poll_max_wait = std::chrono::milliseconds(cfg_.poll_timeout_ms);
    opts.durable_timeout = std::chrono::milliseconds(cfg_.drain_timeout_ms);
    runner_ = std::make_unique<ingest::SourceRunner>(std::move(source), ctx_.pipeline, ctx_.store, ctx_.metrics, opts);
    // Rebalances run inside poll on the runner thread: make what was submitted durable before revoking.
    kafka->set_before_revoke([r = runner_.get()] { return r->settle(); });
    return runner_->start();
  }

  void stop() override {
    if (runner_) runner_->stop();
  }

  ComponentHealth health() const override { return runner_health(runner_.get()); }

 private:
  ingest::KafkaConfig cfg_;
  AppContext& ctx_;
  std::string name_;
  std::unique_ptr<ingest::SourceRunner> runner_;
};

}  // namespace

Result<void> add_kafka_components(AppContext& ctx) {
  for (const auto& c : ctx.config.ingest.kafka) {
    ingest::KafkaConfig cfg = c;
    for (const auto& [property, env] : cfg.secret_properties_env) {
      const char* v = std::getenv(env.c_str());
      if (v == nullptr) {
        return make_error(ErrorCode::config, "ingest.kafka '" + cfg.name + "': environment variable " + env + " (for " +
                                                 property + ") is not set");
      }
      cfg.properties.emplace_back(property, v);
    }
    ctx.components.push_back(std::make_unique<KafkaComponent>(std::move(cfg), ctx));
  }
  return ok();
}

}  // namespace selfheal::app
