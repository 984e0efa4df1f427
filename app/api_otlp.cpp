// The OTLP/HTTP logs receiver in `selfheal serve` (ingest/otlp_http.hpp). Owned with ingest/.
//
//   POST /v1/logs, /otlp/v1/logs   OTLP logs, protobuf or JSON, gzip; role `ingest` when tokens are set
//
// The endpoint is a component too, so /readyz shows it (checks.otlp: last request, last error).
#include <httplib.h>

#include <memory>

#include "app/ingest_components.hpp"
#include "app/pipeline.hpp"
#include "ingest/otlp_http.hpp"

namespace selfheal::app {
namespace {

class OtlpComponent final : public Component {
 public:
  explicit OtlpComponent(std::shared_ptr<ingest::OtlpEndpoint> endpoint) : endpoint_(std::move(endpoint)) {}
  std::string_view name() const override { return "otlp"; }
  Result<void> start() override { return ok(); }
  void stop() override {}
  ComponentHealth health() const override {
    const auto h = endpoint_->health();
    ComponentHealth out;
    // A push endpoint can always take the next request; a failing store shows in checks.store.
    out.ok = true;
    out.status = "ok";
    out.running = true;
    out.last_run_ms = h.last_request_ms;
    out.last_error = h.last_error;
    return out;
  }

 private:
  std::shared_ptr<ingest::OtlpEndpoint> endpoint_;
};

}  // namespace

void mount_otlp_routes(httplib::Server& svr, AppContext& ctx) {
  if (!ctx.config.ingest.otlp.enabled) return;
  ingest::OtlpOptions o;
  o.config = ctx.config.ingest.otlp;
  o.stitch = stitch_limits(ctx.config);
  AppContext* c = &ctx;
  auto endpoint = std::make_shared<ingest::OtlpEndpoint>(
      o, ctx.clock, ctx.pipeline, ctx.metrics, static_cast<std::uint64_t>(ctx.config.server.max_body_bytes),
      [c](const httplib::Request& req, httplib::Response& res) { return require_token(*c, req, res); });
  ingest::OtlpEndpoint::mount(svr, endpoint);
  ctx.components.push_back(std::make_unique<OtlpComponent>(std::move(endpoint)));
}

}  // namespace selfheal::app
