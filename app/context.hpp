#pragma once
// What the composition root hands to every part of `selfheal serve`: HTTP route mounts
// (app/api_*.cpp) and background components (sources, healer worker, LLM worker).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/auth.hpp"
#include "app/config.hpp"
#include "schema/clock.hpp"
#include "schema/metrics.hpp"
#include "schema/redact.hpp"
#include "schema/result.hpp"
#include "schema/stores.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace selfheal::app {

class Pipeline;
class Fingerprinting;

/// What /readyz shows for one component: its real state, read without blocking it.
struct ComponentHealth {
  bool ok = false;         // counts for readiness: the component can do its work
  std::string status;      // "ok", or why not
  bool running = false;    // its thread (worker, runner, periodic loop) is alive
  UnixMs last_run_ms = 0;  // end of its last unit of work (a round, a decision pass, a call); 0: none yet
  std::string last_error;  // the last unit of work's error; "" when it succeeded (or none ran yet)
};

/// A long-running part of `selfheal serve` (a source runner, the healer worker...).
class Component {
 public:
  virtual ~Component() = default;
  virtual std::string_view name() const = 0;
  /// Starts background work. Errors abort startup (exit 1) before the server accepts requests.
  virtual Result<void> start() = 0;
  /// Stops and joins; must return within ~2 s. Idempotent. Called before the final store flush.
  virtual void stop() = 0;
  /// For /readyz: the real state (no default: a component that cannot say is not "ok"). Thread-safe.
  virtual ComponentHealth health() const = 0;
};

struct AppContext {
  const Config& config;
  const Clock& clock;
  Metrics& metrics;
  Stores& stores;  // the one owner of the backend and every store (schema/stores.hpp)
  Store& store;    // stores.store(): the event side, used by nearly every route
  Pipeline& pipeline;
  Authenticator auth;  // config.api.tokens with their secrets; none: the API is open
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
/// Access control (app/auth.hpp). The server checks every request before routing; route handlers
/// call this again (defence in depth): true if the request's token may use this route, else answers
/// 401 (no or unknown token) or 403 (the token's role may not) and returns false.
bool require_token(const AppContext& ctx, const httplib::Request& req, httplib::Response& res);
/// Who makes this request, for audit, approval and review rows: the token's name, or "anonymous" when
/// no token is configured. Never a request field.
std::string request_actor(const AppContext& ctx, const httplib::Request& req);

}  // namespace selfheal::app
