#include "llm/openai_compatible.hpp"

#include <nlohmann/json.hpp>

#include "llm/suggestion.hpp"

namespace selfheal::llm {
OpenAiCompatibleConfig openai_config(std::string base_url, std::string model, std::string api_key) {
  OpenAiCompatibleConfig c;
  c.provider_name = "openai";
  if (!base_url.empty()) c.base_url = std::move(base_url);
  if (!model.empty()) c.model = std::move(model);
  c.api_key = std::move(api_key);
  c.token_limit_field = "max_completion_tokens";
  c.transport.provider_name = c.provider_name;
  return c;
}

OpenAiCompatibleConfig github_models_config(std::string base_url, std::string model, std::string api_key) {
  OpenAiCompatibleConfig c;
  c.provider_name = "github_models";
  c.base_url = base_url.empty() ? "https://models.github.ai/inference" : std::move(base_url);
  c.model = model.empty() ? "openai/gpt-4o-mini" : std::move(model);
  c.api_key = std::move(api_key);
  c.token_limit_field = "max_tokens";
  c.extra_headers = {{"Accept", "application/vnd.github+json"}, {"X-GitHub-Api-Version", "2022-11-28"}};
  c.transport.provider_name = c.provider_name;
  return c;
}

std::string build_openai_body(const SuggestionRequest& req, const OpenAiCompatibleConfig& cfg) {
  nlohmann::ordered_json body;
  body["model"] = cfg.model;
  body["temperature"] = req.temperature;
  body[cfg.token_limit_field] = req.max_output_tokens;
  body["messages"] = nlohmann::ordered_json::array({
      {{"role", "system"}, {"content", req.system_prompt}},
      {{"role", "user"}, {"content", req.user_prompt}},
  });
  nlohmann::ordered_json schema = nlohmann::ordered_json::parse(suggestion_schema_json());
  body["response_format"] = {
      {"type", "json_schema"},
      {"json_schema",
       {{"name", std::string(suggestion_schema_name)}, {"strict", cfg.strict_schema}, {"schema", std::move(schema)}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Completion> parse_openai_body(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error(ErrorCode::bad_input, "response is not JSON");
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    return make_error(ErrorCode::bad_input, "response has no choices");
  }
  const auto& choice = (*choices)[0];
  Completion c;
  if (auto fr = choice.find("finish_reason"); fr != choice.end() && fr->is_string()) c.finish_reason = *fr;
  auto msg = choice.find("message");
  if (msg == choice.end() || !msg->is_object()) return make_error(ErrorCode::bad_input, "response has no message");
  if (auto refusal = msg->find("refusal"); refusal != msg->end() && refusal->is_string() && !refusal->empty()) {
    c.finish_reason = "refusal";
    c.content = refusal->get<std::string>();
  } else if (auto content = msg->find("content"); content != msg->end() && content->is_string()) {
    c.content = content->get<std::string>();
  }
  if (auto m = j.find("model"); m != j.end() && m->is_string()) c.model = *m;
  if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
    c.usage.prompt_tokens = json_int_or_zero(*u, "prompt_tokens");
    c.usage.completion_tokens = json_int_or_zero(*u, "completion_tokens");
    c.usage.total_tokens = json_int_or_zero(*u, "total_tokens");
    if (c.usage.total_tokens == 0) c.usage.total_tokens = c.usage.prompt_tokens + c.usage.completion_tokens;
  }
  return c;
}

std::string openai_error_code(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {};
  auto e = j.find("error");
  if (e == j.end() || !e->is_object()) return {};
  if (auto code = e->find("code"); code != e->end() && code->is_string()) return *code;
  if (auto type = e->find("type"); type != e->end() && type->is_string()) return *type;
  return {};
}

OpenAiCompatibleProvider::OpenAiCompatibleProvider(OpenAiCompatibleConfig cfg, std::shared_ptr<HttpClient> http)
    : cfg_(std::move(cfg)), http_(std::move(http)) {
  if (cfg_.transport.provider_name.empty()) cfg_.transport.provider_name = cfg_.provider_name;
}

Result<Completion> OpenAiCompatibleProvider::complete(const SuggestionRequest& req,
                                                      std::chrono::milliseconds deadline) {
  HttpRequest http = json_post(cfg_.base_url, "/chat/completions", cfg_.api_key, build_openai_body(req, cfg_));
  for (const auto& h : cfg_.extra_headers) http.headers.push_back(h);
  return post_with_retries(*http_, std::move(http), deadline, cfg_.transport, parse_openai_body, openai_error_code);
}

}  // namespace selfheal::llm
