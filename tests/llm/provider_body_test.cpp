#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "llm/factory.hpp"
#include "llm/ollama.hpp"
#include "llm/openai_compatible.hpp"

using namespace selfheal;
using namespace selfheal::llm;
using nlohmann::json;

namespace {
SuggestionRequest request() {
  SuggestionRequest r;
  r.fingerprint_id = "9f2c";
  r.system_prompt = "You suggest fixes. Reply as JSON.";
  r.user_prompt = "Fingerprint 9f2c: java.lang.NullPointerException at CartService.total";
  r.max_output_tokens = 400;
  r.temperature = 0.2;
  return r;
}
}  // namespace

TEST_CASE("openai and github models bodies: the flavour's model id and token limit key") {
  struct Row {
    const char* flavour;
    OpenAiCompatibleConfig cfg;
    const char* model;
    const char* limit_key;   // carries max_tokens of the request
    const char* absent_key;  // the other flavour's key
  };
  const Row rows[] = {
      {"openai", openai_config("", "gpt-4o-mini", "sk-test"), "gpt-4o-mini", "max_completion_tokens", "max_tokens"},
      {"github models (publisher/model id)", github_models_config("", "", "ghp_x"), "openai/gpt-4o-mini", "max_tokens",
       "max_completion_tokens"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.flavour);
    json b = json::parse(build_openai_body(request(), r.cfg));
    CHECK(b["model"] == r.model);
    CHECK(b[r.limit_key] == 400);
    CHECK_FALSE(b.contains(r.absent_key));
  }
}

TEST_CASE("openai body: temperature, messages and a strict json_schema; the key stays out") {
  auto cfg = openai_config("", "gpt-4o-mini", "sk-test");
  json b = json::parse(build_openai_body(request(), cfg));
  CHECK(b["temperature"].get<double>() == doctest::Approx(0.2));
  REQUIRE(b["messages"].size() == 2);
  CHECK(b["messages"][0]["role"] == "system");
  CHECK(b["messages"][1]["content"] == request().user_prompt);
  CHECK(b["response_format"]["type"] == "json_schema");
  CHECK(b["response_format"]["json_schema"]["name"] == "fix_suggestion");
  CHECK(b["response_format"]["json_schema"]["strict"] == true);
  const json& schema = b["response_format"]["json_schema"]["schema"];
  CHECK(schema["additionalProperties"] == false);
  // strict mode: every property is required
  CHECK(schema["required"].size() == schema["properties"].size());
  // the key is a header, never in the body
  CHECK(build_openai_body(request(), cfg).find("sk-test") == std::string::npos);
}

TEST_CASE("openai parse: content, finish_reason, model and usage from the reference fixture") {
  const char* fixture =
      R"({"id":"chatcmpl-fx01","object":"chat.completion","created":1732300123,"model":"gpt-4o-mini-2024-07-18",
 "choices":[{"index":0,"finish_reason":"stop","logprobs":null,
   "message":{"role":"assistant","refusal":null,
     "content":"{\"summary\":\"Cart total fails on empty cart\",\"root_cause\":\"items list is null\",\"suggested_fix\":\"Initialise items\",\"confidence\":0.72}"}}],
 "usage":{"prompt_tokens":88,"completion_tokens":41,"total_tokens":129}})";
  auto c = parse_openai_body(fixture);
  REQUIRE(c.has_value());
  CHECK(c->finish_reason == "stop");
  CHECK(c->model == "gpt-4o-mini-2024-07-18");
  CHECK(c->usage.prompt_tokens == 88);
  CHECK(c->usage.completion_tokens == 41);
  CHECK(c->usage.total_tokens == 129);
  CHECK(json::parse(c->content)["confidence"].get<double>() == doctest::Approx(0.72));
}

TEST_CASE("openai parse: a refusal and a length cut-off are reported, not hidden") {
  auto refusal = parse_openai_body(
      R"({"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":null,"refusal":"I can't help"}}]})");
  REQUIRE(refusal.has_value());
  CHECK(refusal->finish_reason == "refusal");
  auto cut = parse_openai_body(
      R"({"choices":[{"finish_reason":"length","message":{"role":"assistant","content":"{\"summary\":\"Cart"}}],"usage":{"prompt_tokens":5,"completion_tokens":400}})");
  REQUIRE(cut.has_value());
  CHECK(cut->finish_reason == "length");
  CHECK(cut->usage.total_tokens == 405);  // computed when absent
}

TEST_CASE("openai parse: bodies that are not chat completions are bad input") {
  for (const char* b :
       {"", "not json", "[]", R"({"choices":[]})", R"({"object":"list"})", R"({"choices":[{"x":1}]})"}) {
    CAPTURE(b);
    auto c = parse_openai_body(b);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == ErrorCode::bad_input);
  }
}

TEST_CASE("openai error codes come from the error envelope") {
  CHECK(openai_error_code(R"({"error":{"message":"m","type":"requests","param":null,"code":"rate_limit_exceeded"}})") ==
        "rate_limit_exceeded");
  CHECK(openai_error_code(R"({"error":{"message":"m","type":"insufficient_quota","code":null}})") ==
        "insufficient_quota");
  CHECK(openai_error_code("GitHub Models is retired") == "");
}

TEST_CASE("ollama body: stream false, format schema, num_predict and num_ctx") {
  OllamaConfig cfg;
  cfg.model = "llama3.2:3b";
  cfg.num_ctx = 8192;
  json b = json::parse(build_ollama_body(request(), cfg));
  CHECK(b["model"] == "llama3.2:3b");
  CHECK(b["stream"] == false);
  CHECK(b["options"]["num_predict"] == 400);
  CHECK(b["options"]["num_ctx"] == 8192);
  CHECK(b["format"]["type"] == "object");
  CHECK(b["format"]["properties"].contains("evidence"));
  CHECK(b["messages"][0]["role"] == "system");
}

TEST_CASE("ollama parse: the reference fixture, with token counts from eval counters") {
  const char* fixture = R"({"model":"llama3.2:3b","created_at":"2026-11-22T18:40:02.51Z",
 "message":{"role":"assistant","content":"{\"summary\":\"Missing region key\",\"root_cause\":\"legacy rows\",\"suggested_fix\":\"use get\",\"confidence\":0.64}"},
 "done":true,"done_reason":"stop","total_duration":2140000000,"load_duration":31000000,
 "prompt_eval_count":61,"prompt_eval_duration":180000000,"eval_count":52,"eval_duration":1900000000})";
  auto c = parse_ollama_body(fixture);
  REQUIRE(c.has_value());
  CHECK(c->finish_reason == "stop");
  CHECK(c->usage.prompt_tokens == 61);
  CHECK(c->usage.completion_tokens == 52);
  CHECK(c->usage.total_tokens == 113);
  CHECK(json::parse(c->content)["summary"] == "Missing region key");
}

TEST_CASE("ollama parse: NDJSON chunks are joined; an error line fails; no done is bad input") {
  auto c = parse_ollama_body(
      "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"sum\"},\"done\":false}\n"
      "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"mary\\\"\"},\"done\":false}\n"
      "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"length\","
      "\"eval_count\":52}\n");
  REQUIRE(c.has_value());
  CHECK(c->content == "{\"summary\"");
  CHECK(c->finish_reason == "length");
  auto err = parse_ollama_body("{\"message\":{\"content\":\"x\"},\"done\":false}\n{\"error\":\"model crashed\"}\n");
  REQUIRE_FALSE(err.has_value());
  CHECK(err.error().message.find("crashed") == std::string::npos);
  CHECK_FALSE(parse_ollama_body("{\"message\":{\"content\":\"x\"},\"done\":false}").has_value());
  CHECK(ollama_error_code(R"({"error":"model 'x' not found"})") == "ollama_error");
}

TEST_CASE("factory: the token-limit field follows the endpoint unless configured") {
  auto body_of = [](LlmConfig cfg) {
    auto p = make_provider(cfg, make_curl_http_client(), nullptr, nullptr);
    REQUIRE(p.has_value());
    return json::parse((*p)->request_body(request()));
  };
  LlmConfig cfg;
  cfg.provider.type = "openai";
  CHECK(body_of(cfg).contains("max_completion_tokens"));
  cfg.provider.base_url = "http://127.0.0.1:11434/v1";  // Ollama /v1 ignores max_completion_tokens
  CHECK(body_of(cfg).contains("max_tokens"));
  CHECK_FALSE(body_of(cfg).contains("max_completion_tokens"));
  cfg.provider.token_limit_field = "max_completion_tokens";  // e.g. an Azure-style gateway for o-series models
  CHECK(body_of(cfg).contains("max_completion_tokens"));
  cfg.provider = {};
  cfg.provider.type = "github_models";
  CHECK(body_of(cfg)["model"] == "openai/gpt-4o-mini");
  CHECK(body_of(cfg).contains("max_tokens"));
  cfg.provider.type = "ollama";
  CHECK(body_of(cfg)["options"]["num_ctx"] == cfg.context_tokens);
  cfg.provider.type = "bard";
  CHECK(make_provider(cfg, make_curl_http_client(), nullptr, nullptr).error().code == ErrorCode::config);
  cfg.provider.type = "openai";
  cfg.provider.api_key_env = "SELFHEAL_TEST_SURELY_UNSET_VARIABLE";
  auto missing = make_provider(cfg, make_curl_http_client(), nullptr, nullptr);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message.find("SELFHEAL_TEST_SURELY_UNSET_VARIABLE") != std::string::npos);
}
