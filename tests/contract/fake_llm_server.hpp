#pragma once
// A local stand-in for an LLM provider (cpp-httplib on 127.0.0.1, port 0) that speaks the OpenAI
// chat-completions shape (also GitHub Models and Ollama /v1) or Ollama's native /api/chat. Responses
// are scripted; every request body and Authorization header is captured for assertions.
// Used by tests/contract/llm_provider_contract_test.cpp and tests/integration/llm_test.cpp.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace selfheal::test {

enum class LlmWire { openai, ollama };

struct ScriptedResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool hang = false;  // hold the request until the server is destroyed (a response slower than any deadline)
};

class FakeLlmServer {
 public:
  explicit FakeLlmServer(LlmWire wire) : wire_(wire) {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
    svr_.Post(R"(.*/chat/completions)", handler);
    svr_.Post("/api/chat", handler);
    port_ = svr_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("fake llm server: bind failed");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    for (int i = 0; i < 500 && !svr_.is_running(); ++i) {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(10));
    }
  }
  ~FakeLlmServer() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
    svr_.stop();
    if (thread_.joinable()) thread_.join();
  }
  FakeLlmServer(const FakeLlmServer&) = delete;
  FakeLlmServer& operator=(const FakeLlmServer&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void push(ScriptedResponse r) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(r));
  }
  /// The answer served when the script is empty.
  void set_default(ScriptedResponse r) {
    std::lock_guard lock(mu_);
    default_ = std::move(r);
  }
  std::vector<std::string> bodies() const {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  std::vector<std::string> authorizations() const {
    std::lock_guard lock(mu_);
    return auths_;
  }
  std::vector<std::string> paths() const {
    std::lock_guard lock(mu_);
    return paths_;
  }
  std::size_t requests() const {
    std::lock_guard lock(mu_);
    return bodies_.size();
  }

  /// A successful answer in this server's wire format.
  std::string answer(const std::string& content, const std::string& finish = "stop") const {
    nlohmann::json j;
    if (wire_ == LlmWire::openai) {
      j = {{"id", "chatcmpl-fake"},
           {"object", "chat.completion"},
           {"created", 1732300123},
           {"model", "fake-model"},
           {"choices", nlohmann::json::array(
                           {{{"index", 0},
                             {"finish_reason", finish},
                             {"message", {{"role", "assistant"}, {"content", content}, {"refusal", nullptr}}}}})},
           {"usage", {{"prompt_tokens", 88}, {"completion_tokens", 41}, {"total_tokens", 129}}}};
    } else {
      j = {{"model", "fake-model"},
           {"created_at", "2026-11-22T18:40:02.51Z"},
           {"message", {{"role", "assistant"}, {"content", content}}},
           {"done", true},
           {"done_reason", finish},
           {"prompt_eval_count", 88},
           {"eval_count", 41}};
    }
    return j.dump();
  }
  /// An error body in this server's wire format.
  std::string error_body(const std::string& message, const std::string& code) const {
    if (wire_ == LlmWire::ollama) return nlohmann::json{{"error", message}}.dump();
    return nlohmann::json{{"error", {{"message", message}, {"type", code}, {"param", nullptr}, {"code", code}}}}.dump();
  }

  static std::string suggestion_json(double confidence = 0.72, const std::string& evidence = "CartService.total") {
    return nlohmann::json{{"summary", "Cart total fails on an empty cart"},
                          {"root_cause", "items is null when the cart was never persisted"},
                          {"suggested_fix", "Initialise items to an empty list in the CartService constructor"},
                          {"evidence", nlohmann::json::array({evidence})},
                          {"confidence", confidence}}
        .dump();
  }

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    ScriptedResponse r;
    {
      std::lock_guard lock(mu_);
      bodies_.push_back(req.body);
      auths_.push_back(req.get_header_value("Authorization"));
      paths_.push_back(req.path);
      if (!script_.empty()) {
        r = std::move(script_.front());
        script_.pop_front();
      } else if (default_) {
        r = *default_;
      } else {
        r.body = answer(suggestion_json());
      }
    }
    if (r.hang) {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(20), [&] { return released_; });
      return;  // no answer written: the client's deadline is what ends it
    }
    res.status = r.status;
    for (const auto& [k, v] : r.headers) res.set_header(k, v);
    res.set_content(r.body, "application/json");
  }

  LlmWire wire_;
  httplib::Server svr_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  std::deque<ScriptedResponse> script_;
  std::optional<ScriptedResponse> default_;
  std::vector<std::string> bodies_;
  std::vector<std::string> auths_;
  std::vector<std::string> paths_;
};

}  // namespace selfheal::test
