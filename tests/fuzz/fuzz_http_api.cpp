// libFuzzer target: the HTTP API's query parameters and JSON bodies, through the real routes of
// `selfheal serve` (app/server.cpp and every app/api_*.cpp mount) on a real SQLite store, over
// loopback HTTP. Input: byte 0 picks the route, byte 1 picks a known or a fuzzed id, then
// "<query>\n<body>". Invariants: the server answers every request (it never dies), never with a 500
// (an exception escaped a handler), and every body is JSON with "error" on 4xx/5xx (the Loki push
// route answers like Loki instead: a non-empty text/plain reason).
#include <httplib.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>

#include "app/config.hpp"
#include "app/context.hpp"
#include "app/fingerprinting.hpp"
#include "app/pipeline.hpp"
#include "app/server.hpp"
#include "app/storage.hpp"
#include "schema/log.hpp"

using namespace selfheal;

namespace {

struct Route {
  const char* method;
  const char* path;  // {id}: a fingerprint id (known or fuzzed), {n}: a number from the input
};
const Route routes[] = {
    {"GET", "/api/v1/fingerprints"},
    {"GET", "/api/v1/fingerprints/{id}"},
    {"POST", "/api/v1/fingerprints/{id}/resolve"},
    {"POST", "/api/v1/fingerprints/{id}/unresolve"},
    {"POST", "/api/v1/fingerprints/{id}/ignore"},
    {"POST", "/api/v1/fingerprints/{id}/merge"},
    {"POST", "/api/v1/fingerprints/{id}/unmerge"},
    {"POST", "/api/v1/fingerprints/{id}/suggest"},
    {"GET", "/api/v1/audit"},
    {"GET", "/api/v1/stats"},
    {"GET", "/api/v1/dead-letters"},
    {"POST", "/api/v1/dead-letters/{n}/replay"},
    {"GET", "/api/v1/healing/runs"},
    {"GET", "/api/v1/healing/rules"},
    {"GET", "/api/v1/healing/state"},
    {"GET", "/api/v1/healing/overview"},
    {"GET", "/api/v1/healing/activity"},
    {"GET", "/api/v1/healing/stats"},
    {"POST", "/api/v1/healing/simulate"},
    {"GET", "/api/v1/approvals"},
    {"POST", "/api/v1/approvals/{n}/approve"},
    {"POST", "/api/v1/approvals/{n}/reject"},
    {"GET", "/api/v1/suggestions"},
    {"GET", "/api/v1/suggestions/{n}"},
    {"POST", "/api/v1/suggestions/{n}/accept"},
    {"GET", "/api/v1/suggestions/calibration"},
    {"POST", "/loki/api/v1/push"},
    {"GET", "/readyz"},
};

/// Query text as a client would send it: '&' and '=' kept, everything else outside [A-Za-z0-9._~-]
/// percent-encoded (the server decodes it again).
std::string encode_query(std::string_view q) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : q) {
    if (std::isalnum(c) || c == '&' || c == '=' || c == '.' || c == '_' || c == '~' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

struct Server {
  std::filesystem::path dir;
  app::Config cfg;
  SystemClock clock;
  Metrics metrics;
  std::unique_ptr<Stores> stores;
  std::shared_ptr<app::Fingerprinting> fp;
  std::unique_ptr<app::Pipeline> pipeline;
  std::unique_ptr<app::AppContext> ctx;
  std::unique_ptr<app::HttpServer> http;
  std::thread thread;
  int port = 0;
  std::string known_id;

  Server() {
    spdlog::set_level(spdlog::level::off);
    char tmpl[] = "/tmp/fuzz_http_api.XXXXXX";
    dir = mkdtemp(tmpl);
    auto c = app::load_config("", {std::string("127.0.0.1:0"), dir.string(), std::string("error")});
    if (!c) std::abort();
    cfg = *c;
    cfg.storage.flush_interval_ms = 5;
    auto opened = app::open_stores(cfg, clock);
    if (!opened) std::abort();
    stores = std::move(*opened);
    fp = std::make_shared<app::Fingerprinting>(cfg.fingerprint);
    pipeline = std::make_unique<app::Pipeline>(cfg, stores->store(), clock, metrics, fp);
    ctx = std::make_unique<app::AppContext>(app::AppContext{.config = cfg,
                                                           .clock = clock,
                                                           .metrics = metrics,
                                                           .stores = *stores,
                                                           .store = stores->store(),
                                                           .pipeline = *pipeline,
                                                           .fingerprinting = fp});
    http = std::make_unique<app::HttpServer>(*ctx);
    auto bound = http->bind("127.0.0.1", 0);
    if (!bound) std::abort();
    port = *bound;
    pipeline->start();
    thread = std::thread([this] { http->run(); });
    httplib::Client cl("127.0.0.1", port);
    for (int i = 0; i < 200 && !cl.Get("/healthz"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    // A few fingerprints, so the routes that take an id reach their real work.
    const std::string push =
        R"J({"streams":[{"stream":{"service":"api","level":"error"},"values":[)J"
        R"J(["1795464000000000000","ERROR payment 42 failed for order 7"],)J"
        R"J(["1795464000000000001","ERROR disk full on /var/lib/x"],)J"
        R"J(["1795464000000000002","java.lang.NullPointerException: x\n\tat a.B.c(B.java:1)"]]}]})J";
    if (auto r = cl.Post("/loki/api/v1/push", push, "application/json"); !r || r->status != 204) std::abort();
    for (int i = 0; i < 200 && known_id.empty(); ++i) {
      if (auto r = cl.Get("/api/v1/fingerprints"); r && r->status == 200) {
        auto j = nlohmann::json::parse(r->body, nullptr, false);
        if (!j.is_discarded() && !j["fingerprints"].empty()) known_id = j["fingerprints"][0]["id"];
      }
      if (known_id.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (known_id.empty()) std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Server* server = new Server();  // lives for the process (the server thread keeps using it)
  static httplib::Client client = [] {
    httplib::Client c("127.0.0.1", server->port);
    c.set_keep_alive(true);
    return c;
  }();
  if (size < 2) return 0;
  const Route& route = routes[data[0] % (sizeof routes / sizeof routes[0])];
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  const auto nl = rest.find('\n');
  const std::string_view query = rest.substr(0, nl);
  const std::string body(nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1));

  std::string path = route.path;
  if (auto p = path.find("{id}"); p != std::string::npos)
    path.replace(p, 4, data[1] & 1 ? encode_query(query.substr(0, 20)) : server->known_id);
  if (auto p = path.find("{n}"); p != std::string::npos) path.replace(p, 3, std::to_string(data[1] >> 1));
  if (!query.empty()) path += "?" + encode_query(query);

  httplib::Result r = std::string_view(route.method) == "GET" ? client.Get(path)
                                                               : client.Post(path, body, "application/json");
  if (!r) {
    // One retry on a fresh connection (keep-alive may have closed); a second failure: the server died.
    r = std::string_view(route.method) == "GET" ? client.Get(path) : client.Post(path, body, "application/json");
    if (!r) __builtin_trap();
  }
  if (r->status == 500) __builtin_trap();  // an exception escaped a handler
  if (r->status == 204) return 0;
  if (std::string_view(route.path).rfind("/loki/", 0) == 0) {
    // The push route answers like Loki: a text/plain reason (Promtail logs it), never an empty one.
    if (r->status >= 400 && r->body.find_first_not_of(" \n") == std::string::npos) __builtin_trap();
    return 0;
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) __builtin_trap();                                   // every body is JSON
  if (r->status >= 400 && !(j.is_object() && j.contains("error"))) __builtin_trap();  // errors say why
  return 0;
}
