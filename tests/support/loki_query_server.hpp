#pragma once
// A local Loki that speaks GET /loki/api/v1/query_range (reference/loki-query.md): forward
// direction, [start, end) in ns, `limit` across streams, entries grouped by stream in the answer.
// Failures and wrong answers can be scripted for the next requests. Thread-safe.
#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/http_server.hpp"

namespace selfheal::test {

class LokiQueryServer {
 public:
  struct Entry {
    std::map<std::string, std::string> labels;
    std::int64_t ts_ns = 0;
    std::string line;
  };
  struct Scripted {
    int status = 500;
    std::string body;
    std::string content_type = "text/plain";
    std::string retry_after;
  };

  LokiQueryServer() {
    http_.server().Get("/loki/api/v1/query_range", [this](const httplib::Request& req, httplib::Response& res) {
      answer(req, res);
    });
    http_.start();
  }

  void add(Entry e) {
    std::lock_guard lock(mu_);
    data_.push_back(std::move(e));
  }
  /// The next request gets this answer instead of the data.
  void script_next(Scripted s) {
    std::lock_guard lock(mu_);
    scripted_.push_back(std::move(s));
  }
  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::string last_tenant() {
    std::lock_guard lock(mu_);
    return last_tenant_;
  }
  std::string url() const { return http_.url(); }
  int port() const { return http_.port(); }

 private:
  void answer(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    ++requests_;
    last_tenant_ = req.get_header_value("X-Scope-OrgID");
    if (!scripted_.empty()) {
      Scripted s = std::move(scripted_.front());
      scripted_.erase(scripted_.begin());
      res.status = s.status;
      if (!s.retry_after.empty()) res.set_header("Retry-After", s.retry_after);
      res.set_content(s.body, s.content_type);
      return;
    }
    if (req.get_param_value("direction") != "forward") {
      res.status = 400;
      return;
    }
    const auto start = std::stoll(req.get_param_value("start"));
    const auto end = std::stoll(req.get_param_value("end"));
    const auto limit = std::stoul(req.get_param_value("limit"));
    std::vector<const Entry*> hits;
    for (const auto& e : data_)
      if (e.ts_ns >= start && e.ts_ns < end) hits.push_back(&e);
    std::stable_sort(hits.begin(), hits.end(), [](auto* a, auto* b) { return a->ts_ns < b->ts_ns; });
    if (hits.size() > limit) hits.resize(limit);
    std::map<std::map<std::string, std::string>, nlohmann::json> streams;
    for (auto* e : hits) streams[e->labels].push_back(nlohmann::json::array({std::to_string(e->ts_ns), e->line}));
    nlohmann::json result = nlohmann::json::array();
    for (auto& [labels, values] : streams) {
      nlohmann::json st = nlohmann::json::object();
      for (const auto& [k, v] : labels) st[k] = v;
      result.push_back({{"stream", st}, {"values", values}});
    }
    res.set_content(
        nlohmann::json{{"status", "success"}, {"data", {{"resultType", "streams"}, {"result", result}, {"stats", {}}}}}
            .dump(),
        "application/json");
  }

  std::mutex mu_;
  std::vector<Entry> data_;
  std::vector<Scripted> scripted_;
  int requests_ = 0;
  std::string last_tenant_;
  LocalHttpServer http_;  // last: stopped (destroyed) first, before the state its handler reads
};

}  // namespace selfheal::test
