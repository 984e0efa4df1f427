#pragma once
// What the composition root hands to every part of `selfheal serve`: HTTP route mounts
// (app/api_*.cpp) and background components (sources, healer worker, LLM worker).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.hpp"
#include "schema/clock.hpp"
#include "schema/metrics.hpp"
#include "schema/redact.hpp"
#include "schema/result.hpp"
#include "schema/sqlite_db.hpp"
#include "schema/sqlite_store.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace selfheal::app {

class Pipeline;
class Fingerprinting;

/// A long-running part of `selfheal serve` (a source runner, the healer worker...).
class Component {
 public:
  virtual ~Component() = default;
  virtual std::string_view name() const = 0;
  /// Starts background work. Errors abort startup (exit 1) before the server accepts requests.
  virtual Result<void> start() = 0;
  /// Stops and joins; must return within ~2 s. Idempotent. Called before the final store flush.
  virtual void stop() = 0;
  /// For /readyz: ok, or why not.
  virtual bool healthy(std::string& why) const {
    (void)why;
    return true;
  }
};

struct AppContext {
  const Config& config;
  const Clock& clock;
  Metrics& metrics;
  std::shared_ptr<SqliteDb> db;
  SqliteStore& store;
  Pipeline& pipeline;
  std::string api_token;  // resolved from config.api.token_env; empty: writes are open
  /// Components register here (by the factories in app/service.cpp) and are started in order.
  std::vector<std::unique_ptr<Component>> components;
  /// The fingerprinting front (engine pool, user rules, merge table); reload merges after a merge.
  std::shared_ptr<Fingerprinting> fingerprinting = nullptr;
  /// The one redactor (config `llm.redact`) every outbound body passes through: LLM prompts, notify
  /// channels, webhooks, HTTP action payloads. Never null in serve.
  std::shared_ptr<const Redactor> redactor = Redactor::builtin();
};

// ---- HTTP helpers shared by app/api_*.cpp ----
/// Sends {"error": message} with the status.
void json_error(httplib::Response& res, int status, std::string_view message);
/// For write endpoints: true if no token is configured or the request carries it
/// (Authorization: Bearer <token> or X-Selfheal-Token). Otherwise answers 401 and returns false.
bool require_token(const AppContext& ctx, const httplib::Request& req, httplib::Response& res);

}  // namespace selfheal::app
