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

#include "tests/support/support.hpp"

namespace selfheal::healer_it {

using nlohmann::json;
using namespace std::chrono_literals;


/// A webhook / heal endpoint on port 0 that records every request body.
struct Receiver {
  httplib::Server svr;
  int port = 0;
  std::thread th;
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> requests;  // path, body
  Receiver() {
    svr.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard l(mu);
      requests.emplace_back(req.path, req.body);
      res.status = 200;
      res.set_content("{}", "application/json");
    });
    port = svr.bind_to_any_port("127.0.0.1");
    th = std::thread([this] { svr.listen_after_bind(); });
    REQUIRE(test::wait_until([this] { return svr.is_running(); }));
  }
  ~Receiver() {
    svr.stop();
    th.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
  std::vector<std::pair<std::string, std::string>> snapshot() {
    std::lock_guard l(mu);
    return requests;
  }
  std::size_t count_level(const std::string& level) {
    std::size_t n = 0;
    for (const auto& [p, b] : snapshot()) {
      auto j = json::parse(b, nullptr, false);
      if (j.is_object() && j.value("level", std::string()) == level) ++n;
    }
    return n;
  }
};

/// A script that appends its argv (one run per line, elements joined by |) to $1 and exits with the
/// number stored in the file $2.
struct Recorder {
  std::string script, out, code;
  explicit Recorder(const test::TempDir& dir, int exit_code = 0) {
    script = dir.file("record.sh");
    out = dir.file("argv.log");
    code = dir.file("code");
    test::write_file(script,
                     "#!/bin/sh\nout=\"$1\"; shift; code=$(cat \"$1\"); shift\nline=\"\"\nfor a in \"$@\"; "
                     "do line=\"$line|$a\"; done\nprintf '%s\\n' \"$line\" >> \"$out\"\nexit \"$code\"\n");
    ::chmod(script.c_str(), 0755);
    test::write_file(code, std::to_string(exit_code));
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    if (!std::filesystem::exists(out)) return v;
    std::string all = test::read_file(out);
    std::size_t pos = 0;
    while (pos < all.size()) {
      auto nl = all.find('\n', pos);
      v.push_back(all.substr(pos, nl - pos));
      pos = nl + 1;
    }
    return v;
  }
  std::string argv_yaml(const std::vector<std::string>& rest) const {
    std::string s = "[\"" + script + "\", \"" + out + "\", \"" + code + "\"";
    for (const auto& r : rest) s += ", \"" + r + "\"";
    return s + "]";
  }
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


}  // namespace selfheal::healer_it
