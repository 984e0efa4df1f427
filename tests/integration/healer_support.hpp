#pragma once
// Shared by the healer's integration suites: a real local webhook receiver (cpp-httplib on port 0),
// a recording script that captures argv (a real process, no shell in selfheal), and Loki pushes.
#include <doctest/doctest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_server.hpp"
#include "tests/support/recorder.hpp"
#include "tests/support/support.hpp"

namespace selfheal::healer_it {

using test::Recorder;

using nlohmann::json;
using namespace std::chrono_literals;


/// A webhook / heal endpoint on port 0 that records every request body.
struct Receiver {
  test::LocalHttpServer http;
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> requests;  // path, body
  Receiver() {
    http.server().Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard l(mu);
      requests.emplace_back(req.path, req.body);
      res.status = 200;
      res.set_content("{}", "application/json");
    });
    REQUIRE(http.start() > 0);  // bound to a port
  }
  std::string url(const std::string& path) const { return http.url() + path; }
  std::vector<std::pair<std::string, std::string>> snapshot() {
    std::lock_guard l(mu);
    return requests;
  }
  /// The JSON bodies received whose string field `key` equals `value`.
  std::vector<json> bodies_with(const std::string& key, const std::string& value) {
    std::vector<json> out;
    for (const auto& [p, b] : snapshot()) {
      auto j = json::parse(b, nullptr, false);
      if (j.is_object() && j.value(key, std::string()) == value) out.push_back(j);
    }
    return out;
  }
  std::size_t count_level(const std::string& level) { return bodies_with("level", level).size(); }
};

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Pushes `n` error lines of one service (and host, when given) through the Loki JSON push API.
inline void push(const test::ServeProcess& serve, const std::string& service, const std::string& message, int n,
                 const std::string& token = "", const std::string& host = "") {
  json values = json::array();
  const auto t = now_ns();
  for (int i = 0; i < n; ++i) values.push_back({std::to_string(t + i), message + " request=" + std::to_string(i)});
  json stream = {{"service", service}, {"level", "error"}};
  if (!host.empty()) stream["host"] = host;
  json body = {{"streams", json::array({{{"stream", stream}, {"values", values}}})}};
  std::map<std::string, std::string> headers;
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  auto r = test::http_post(serve.base_url(), "/loki/api/v1/push", body.dump(), "application/json", headers);
  REQUIRE(r.status == 204);
}

inline json get_json(const test::ServeProcess& serve, const std::string& path, const std::string& token = "") {
  std::map<std::string, std::string> headers;
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  auto r = test::http_get(serve.base_url(), path, headers);
  REQUIRE_MESSAGE(r.status == 200, (path + ": " + r.body));
  return json::parse(r.body);
}

inline json runs(const test::ServeProcess& serve, const std::string& query = "", const std::string& token = "") {
  return get_json(serve, "/api/v1/healing/runs?limit=1000" + query, token)["runs"];
}

/// Decisions behind history rows: identical consecutive skips share one row ("count").
inline std::int64_t decisions(const json& rows) {
  std::int64_t n = 0;
  for (const auto& r : rows) n += r.value("count", std::int64_t{1});
  return n;
}

inline std::string header(const std::string& extra = "") {
  return "healer:\n"
         "  tick_ms: 100\n"
         "  backstop: {enabled: false}\n" +
         extra;
}

/// Guards that never stand in the way of a run: no cooldown, a rate limit the tests never reach.
inline const std::string kNoGuards = "cooldown_secs: 0, max_runs: 100, per_secs: 3600";

/// One entry of `healer.strategies`. `match`, `guards` and each action are the insides of a YAML
/// flow map ("service: cart, message_regex: 'x'"); an empty one is left out. `more` holds further
/// keys of the strategy, one a line ("requires_approval: true").
struct Strategy {
  std::string name;
  std::string match;
  std::vector<std::string> actions;
  std::string guards;
  std::vector<std::string> more;
};

/// The `healer.strategies` block (indented under `healer:`) for `list`.
inline std::string strategies(const std::vector<Strategy>& list) {
  std::string s = "  strategies:\n";
  for (const auto& st : list) {
    s += "    - name: " + st.name + "\n";
    if (!st.match.empty()) s += "      match: {" + st.match + "}\n";
    for (const auto& m : st.more) s += "      " + m + "\n";
    s += "      actions:\n";
    for (const auto& a : st.actions) s += "        - {" + a + "}\n";
    if (!st.guards.empty()) s += "      guards: {" + st.guards + "}\n";
  }
  return s;
}

/// The `healer.notify` block: one webhook channel per entry of `channels` (flow-map insides), after
/// the further notify keys in `more`.
inline std::string notify(const std::vector<std::string>& channels, const std::vector<std::string>& more = {}) {
  std::string s = "  notify:\n";
  for (const auto& m : more) s += "    " + m + "\n";
  s += "    channels:\n";
  for (const auto& c : channels) s += "      - {" + c + "}\n";
  return s;
}

/// Writes `yaml` as `selfheal.yaml` in `dir` and returns its path.
inline std::string write_config(const test::TempDir& dir, const std::string& yaml) {
  const std::string config = dir.file("selfheal.yaml");
  test::write_file(config, yaml);
  return config;
}

/// A test's directory with a recording script in it (whose runs exit 0 until told otherwise).
struct Scene {
  test::TempDir dir;
  Recorder rec{dir};
};

}  // namespace selfheal::healer_it
