// The LlmProvider contract, run against every provider and a local server speaking its wire format:
// normal answer, 429 + retry-after, 500 then success, 410, malformed JSON, length cut-off, a response
// slower than the deadline; the key never in errors; confidence clamped; planted secrets never sent.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "llm/context.hpp"
#include "llm/ollama.hpp"
#include "llm/openai_compatible.hpp"
#include "llm/suggestion.hpp"
#include "tests/contract/fake_llm_server.hpp"

using namespace selfheal;
using namespace selfheal::llm;
using namespace std::chrono_literals;
using selfheal::test::FakeLlmServer;
using selfheal::test::LlmWire;
using selfheal::test::ScriptedResponse;

namespace {

const std::string the_key = "sk-contract-KEY-0123456789abcdefXYZ";

/// Records the waits the retry loop asks for and returns at once: the contract checks *what* delay
/// is honoured without spending it.
class RecordingWaiter final : public RetryWaiter {
 public:
  bool wait(std::chrono::milliseconds d) override {
    std::lock_guard lock(mu_);
    waits.push_back(d);
    return true;
  }
  std::vector<std::chrono::milliseconds> waits;

 private:
  std::mutex mu_;
};

struct ProviderKind {
  const char* name;
  LlmWire wire;
  std::function<std::unique_ptr<LlmProvider>(const std::string& base, std::shared_ptr<RetryWaiter>)> make;
};

TransportOptions transport(std::shared_ptr<RetryWaiter> w) {
  TransportOptions t;
  t.retry.max_retries = 2;
  t.connect_timeout = 2000ms;
  t.waiter = std::move(w);
  return t;
}

std::vector<ProviderKind> providers() {
  return {
      {"openai", LlmWire::openai,
       [](const std::string& base, std::shared_ptr<RetryWaiter> w) -> std::unique_ptr<LlmProvider> {
         auto c = openai_config(base + "/v1", "gpt-4o-mini", the_key);
         auto name = c.transport.provider_name;
         c.transport = transport(std::move(w));
         c.transport.provider_name = name;
         return std::make_unique<OpenAiCompatibleProvider>(c, make_curl_http_client());
       }},
      {"github_models", LlmWire::openai,
       [](const std::string& base, std::shared_ptr<RetryWaiter> w) -> std::unique_ptr<LlmProvider> {
         auto c = github_models_config(base + "/inference", "openai/gpt-4.1", the_key);
         c.transport = transport(std::move(w));
         c.transport.provider_name = "github_models";
         return std::make_unique<OpenAiCompatibleProvider>(c, make_curl_http_client());
       }},
      {"ollama_v1", LlmWire::openai,
       [](const std::string& base, std::shared_ptr<RetryWaiter> w) -> std::unique_ptr<LlmProvider> {
         auto c = openai_config(base + "/v1", "llama3.2:3b", the_key);
         c.token_limit_field = "max_tokens";  // Ollama /v1 ignores max_completion_tokens
         c.transport = transport(std::move(w));
         c.transport.provider_name = "openai";
         return std::make_unique<OpenAiCompatibleProvider>(c, make_curl_http_client());
       }},
      {"ollama", LlmWire::ollama,
       [](const std::string& base, std::shared_ptr<RetryWaiter> w) -> std::unique_ptr<LlmProvider> {
         OllamaConfig c;
         c.base_url = base;
         c.model = "llama3.2:3b";
         c.api_key = the_key;  // a proxy in front of Ollama
         c.transport = transport(std::move(w));
         c.transport.provider_name = "ollama";
         return std::make_unique<OllamaProvider>(c, make_curl_http_client());
       }},
  };
}

SuggestionRequest request() {
  SuggestionRequest r;
  r.fingerprint_id = "a1b2";
  r.system_prompt = system_prompt();
  r.user_prompt = "Error group a1b2\nException type: java.lang.NullPointerException\n";
  r.max_output_tokens = 300;
  return r;
}

/// Nothing a provider reports may carry the key or where it was sent.
void check_clean(const Error& e, const FakeLlmServer& srv) {
  CAPTURE(e.message);
  CHECK(e.message.find(the_key) == std::string::npos);
  CHECK(e.message.find("sk-contract") == std::string::npos);
  CHECK(e.message.find(srv.base_url()) == std::string::npos);
  CHECK(e.message.find("127.0.0.1") == std::string::npos);
}

}  // namespace

TEST_CASE("contract: a normal answer is returned with usage, the key only in the Authorization header") {
  for (const auto& kind : providers()) {
    CAPTURE(kind.name);
    FakeLlmServer srv(kind.wire);
    auto w = std::make_shared<RecordingWaiter>();
    auto p = kind.make(srv.base_url(), w);
    auto c = p->complete(request(), 10s);
    REQUIRE(c.has_value());
    CHECK(c->finish_reason == "stop");
    CHECK(c->usage.prompt_tokens == 88);
    CHECK(c->usage.completion_tokens == 41);
    CHECK(c->attempts == 1);
    auto s = parse_suggestion(*c);
    REQUIRE(s.has_value());
    CHECK(s->model_confidence == doctest::Approx(0.72));
    REQUIRE(srv.requests() == 1);
    CHECK(srv.authorizations()[0] == "Bearer " + the_key);
    CHECK(srv.bodies()[0].find(the_key) == std::string::npos);
    // the body on the wire is exactly what --preview prints
    CHECK(srv.bodies()[0] == p->request_body(request()));
    CHECK(w->waits.empty());
  }
}

TEST_CASE("contract: 429 with retry-after is retried after the server's delay") {
  for (const auto& kind : providers()) {
    CAPTURE(kind.name);
    FakeLlmServer srv(kind.wire);
    srv.push({429, srv.error_body("Rate limit reached", "rate_limit_exceeded"), {{"retry-after", "2"}}});
    auto w = std::make_shared<RecordingWaiter>();
    auto p = kind.make(srv.base_url(), w);
    auto c = p->complete(request(), 10s);
    REQUIRE(c.has_value());
    CHECK(c->attempts == 2);
    CHECK(srv.requests() == 2);
    REQUIRE(w->waits.size() == 1);
    CHECK(w->waits[0] == 2000ms);
  }
}

TEST_CASE("contract: 500 then success is retried with backoff") {
  for (const auto& kind : providers()) {
    CAPTURE(kind.name);
    FakeLlmServer srv(kind.wire);
    srv.push({500, srv.error_body("internal error", "server_error"), {}});
    auto w = std::make_shared<RecordingWaiter>();
    auto p = kind.make(srv.base_url(), w);
    auto c = p->complete(request(), 10s);
    REQUIRE(c.has_value());
    CHECK(srv.requests() == 2);
    REQUIRE(w->waits.size() == 1);
    CHECK(w->waits[0] == 500ms);
  }
}

TEST_CASE("contract: 500 on every attempt gives up after the retry limit") {
  for (const auto& kind : providers()) {
    CAPTURE(kind.name);
    FakeLlmServer srv(kind.wire);
    srv.set_default({503, srv.error_body("overloaded", "server_error"), {}});
    auto w = std::make_shared<RecordingWaiter>();
    auto p = kind.make(srv.base_url(), w);
    auto c = p->complete(request(), 10s);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == ErrorCode::unavailable);
    CHECK(srv.requests() == 3);
    check_clean(c.error(), srv);
  }
}

TEST_CASE("contract: 410 is a permanent 'provider retired' error, never retried") {
  for (const auto& kind : providers()) {
    CAPTURE(kind.name);
    FakeLlmServer srv(kind.wire);
    srv.set_default({410,
                     "GitHub Models is temporarily unavailable as part of a scheduled retirement brownout",
                     {{"retry-after", "1"}}});
    auto w = std::make_shared<RecordingWaiter>();
    auto p = kind.make(srv.base_url(), w);
    auto c = p->complete(request(), 10s);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == ErrorCode::permanent);
    CHECK(c.error().message.find("retired") != std::string::npos);
    CHECK(c.error().message.find(std::string(p->name())) == 0);
    CHECK(srv.requests() == 1);
    CHECK(w->waits.empty());
    check_clean(c.error(), srv);
  }
}

TEST_CASE("contract: insufficient_quota and 401 are not retried and never echo the key") {
  for (const auto& kind : providers()) {
    CAPTURE(kind.name);
    {
      FakeLlmServer srv(kind.wire);
      srv.set_default(
          {429, srv.error_body("You exceeded your current quota", "insufficient_quota"), {{"retry-after", "1"}}});
      auto p = kind.make(srv.base_url(), std::make_shared<RecordingWaiter>());
      auto c = p->complete(request(), 10s);
      REQUIRE_FALSE(c.has_value());
      if (kind.wire == LlmWire::openai) CHECK(c.error().code == ErrorCode::permanent);
      if (kind.wire == LlmWire::openai) CHECK(srv.requests() == 1);
      check_clean(c.error(), srv);
    }
    {
      FakeLlmServer srv(kind.wire);
      // A server that echoes the key back in its message, as some gateways do.
      srv.set_default({401, srv.error_body("Incorrect API key provided: " + the_key, "invalid_api_key"), {}});
      auto p = kind.make(srv.base_url(), std::make_shared<RecordingWaiter>());
      auto c = p->complete(request(), 10s);
      REQUIRE_FALSE(c.has_value());
      CHECK(c.error().code == ErrorCode::unauthorized);
      CHECK(srv.requests() == 1);
      check_clean(c.error(), srv);
    }
  }
}

TEST_CASE("contract: a malformed JSON answer is bad input, not retried") {
  for (const auto& kind : providers()) {
    CAPTURE(kind.name);
    FakeLlmServer srv(kind.wire);
    srv.set_default({200, "{\"choices\": [ {\"message\": oops", {}});
    auto p = kind.make(srv.base_url(), std::make_shared<RecordingWaiter>());
    auto c = p->complete(request(), 10s);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == ErrorCode::bad_input);
    CHECK(srv.requests() == 1);
    check_clean(c.error(), srv);
  }
}

TEST_CASE("contract: content that is not the JSON we asked for fails parsing with the raw answer kept") {
  for (const auto& kind : providers()) {
    CAPTURE(kind.name);
    FakeLlmServer srv(kind.wire);
    srv.set_default({200, srv.answer("Sure! The cart is null, initialise it."), {}});
    auto p = kind.make(srv.base_url(), std::make_shared<RecordingWaiter>());
    auto c = p->complete(request(), 10s);
    REQUIRE(c.has_value());
    CHECK(c->content == "Sure! The cart is null, initialise it.");
    auto s = parse_suggestion(*c);
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().message.find("not valid JSON") != std::string::npos);
  }
}

TEST_CASE("contract: a length cut-off is a failed suggestion, with the partial answer kept") {
  for (const auto& kind : providers()) {
    CAPTURE(kind.name);
    FakeLlmServer srv(kind.wire);
    srv.set_default({200, srv.answer("{\"summary\":\"Cart total fa", "length"), {}});
    auto p = kind.make(srv.base_url(), std::make_shared<RecordingWaiter>());
    auto c = p->complete(request(), 10s);
    REQUIRE(c.has_value());
    CHECK(c->finish_reason == "length");
    CHECK(c->content == "{\"summary\":\"Cart total fa");
    auto s = parse_suggestion(*c);
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().message.find("cut off") != std::string::npos);
  }
}

TEST_CASE("contract: a response slower than the deadline fails in time") {
  for (const auto& kind : providers()) {
    CAPTURE(kind.name);
    FakeLlmServer srv(kind.wire);
    srv.set_default({200, "", {}, /*hang=*/true});
    auto p = kind.make(srv.base_url(), std::make_shared<RecordingWaiter>());
    auto start = std::chrono::steady_clock::now();
    auto c = p->complete(request(), 400ms);
    auto took = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == ErrorCode::unavailable);
    CHECK(took < 3s);
    check_clean(c.error(), srv);
  }
}

TEST_CASE("contract: confidence outside [0, 1] is clamped") {
  for (const auto& kind : providers()) {
    CAPTURE(kind.name);
    FakeLlmServer srv(kind.wire);
    srv.push({200, srv.answer(FakeLlmServer::suggestion_json(3.5)), {}});
    srv.push({200, srv.answer(FakeLlmServer::suggestion_json(-0.4)), {}});
    auto p = kind.make(srv.base_url(), std::make_shared<RecordingWaiter>());
    for (double expected : {1.0, 0.0}) {
      auto c = p->complete(request(), 10s);
      REQUIRE(c.has_value());
      auto s = parse_suggestion(*c);
      REQUIRE(s.has_value());
      CHECK(s->model_confidence == expected);
      CHECK(s->confidence_clamped);
    }
  }
}

TEST_CASE("contract: planted secrets in samples, messages, frames and labels never reach the wire") {
  const std::vector<std::string> secrets = {
      "AKIAIOSFODNN7EXAMPLE",
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
      "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp",
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
      "s3cr3tB34rerValue",
      "hunter2hunter",
      "p4ssphrase-xyz",
      "tokvalue-77aa",
      "MIIEowIBAAKCAQEAzQ8planted",
      "jane.doe@example.com",
      "4111 1111 1111 1111",
      "10.20.30.40",
      "2001:db8:85a3::8a2e:370:7334",
      "cust-424242",
  };
  FingerprintFacts f;
  f.summary.id = "feedfacecafebeef";
  f.summary.template_text = "login failed for jane.doe@example.com password=hunter2hunter from 10.20.30.40";
  f.summary.exception_type = "AuthError";
  f.summary.frames_json =
      R"([{"module":"auth.AKIAIOSFODNN7EXAMPLE","function":"login","file":"auth.py","line":3,"in_app":true},)"
      R"({"module":"lib","function":"secret=p4ssphrase-xyz","file":"x.py","line":1,"in_app":false}])";
  f.summary.count = 3;
  f.summary.services = {{"billing", 3}};
  f.summary.hosts = {{"10.20.30.40", 3}};
  StoredSample a;
  a.kind = "first";
  a.ts = 1'800'000'000'000;
  a.message =
      "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and Authorization: Bearer s3cr3tB34rerValue";
  a.labels_json =
      R"({"token":"tokvalue-77aa","owner":"jane.doe@example.com","gh":"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"})";
  StoredSample b;
  b.kind = "first";
  b.ts = a.ts + 1;
  b.message =
      "slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp jwt "
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
  b.labels_json = R"({"peer":"2001:db8:85a3::8a2e:370:7334","customer":"cust-424242"})";
  StoredSample c;
  c.kind = "recent";
  c.ts = a.ts + 2;
  c.message =
      "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAzQ8planted\n-----END RSA PRIVATE KEY-----\ncard 4111 1111 1111 "
      "1111";
  f.samples = {a, b, c};
  f.history.push_back({a.ts, "restart", "exec", "stderr: password=hunter2hunter", false});

  RedactConfig rc;
  rc.patterns = {R"(cust-[0-9]{6})"};
  auto redactor = std::move(Redactor::create(rc)).value();
  auto ctx = build_context(f, *redactor, ContextOptions{}, a.ts + 60'000);
  REQUIRE(ctx.has_value());
  for (const auto& kind : providers()) {
    CAPTURE(kind.name);
    FakeLlmServer srv(kind.wire);
    auto p = kind.make(srv.base_url(), std::make_shared<RecordingWaiter>());
    REQUIRE(p->complete(ctx->request, 10s).has_value());
    auto bodies = srv.bodies();
    REQUIRE(bodies.size() == 1);
    // The samples did make it (redacted), so the check below is not vacuous.
    CHECK(bodies[0].find("[REDACTED:aws_secret_key]") != std::string::npos);
    CHECK(bodies[0].find("[REDACTED:custom]") != std::string::npos);
    for (const auto& s : secrets) {
      CAPTURE(s);
      CHECK(bodies[0].find(s) == std::string::npos);
    }
  }
}
