#include "app/syslog_components.hpp"

#include <memory>

#include "app/ingest_components.hpp"
#include "app/pipeline.hpp"
#include "ingest/syslog_server.hpp"
#include "schema/log.hpp"

namespace selfheal::app {
namespace {

class SyslogComponent final : public Component {
 public:
  SyslogComponent(ingest::SyslogConfig cfg, AppContext& ctx) : name_("syslog:" + cfg.name), cfg_(std::move(cfg)), ctx_(ctx) {}
  std::string_view name() const override { return name_; }
  Result<void> start() override {
    if (server_) return make_error(ErrorCode::conflict, name_ + " already started");
    server_ = std::make_unique<ingest::SyslogServer>(cfg_, ctx_.clock, ctx_.pipeline, ctx_.metrics, stitch_limits(ctx_.config));
    if (auto r = server_->start(); !r) return r;
    spdlog::info("Syslog source listening: source={} tcp_port={} udp_port={}", cfg_.name, server_->tcp_port(), server_->udp_port());
    return ok();
  }
  void stop() override {
    if (server_) server_->stop(std::chrono::milliseconds(1'500));
  }
  ComponentHealth health() const override {
    ComponentHealth h;
    if (!server_) {
      h.status = "not started";
      return h;
    }
    const auto s = server_->health();
    h.running = true;
    h.ok = s.ok;
    h.status = s.ok ? "ok" : s.detail;
    h.last_error = s.ok ? "" : s.detail;
    return h;
  }

 private:
  std::string name_;
  ingest::SyslogConfig cfg_;
  AppContext& ctx_;
  std::unique_ptr<ingest::SyslogServer> server_;
};

}  // namespace

Result<void> add_syslog_components(AppContext& ctx) {
  for (const auto& c : ctx.config.ingest.syslog) ctx.components.push_back(std::make_unique<SyslogComponent>(c, ctx));
  return ok();
}

}  // namespace selfheal::app
