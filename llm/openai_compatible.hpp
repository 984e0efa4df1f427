#pragma once
// OpenAI Chat Completions and everything that speaks its shape: GitHub Models (retired 2026-07-30,
// answers 410), Azure-style and OpenAI-compatible gateways (vLLM, LocalAI, llama.cpp server) and
// Ollama's /v1 endpoint. POST {base_url}/chat/completions with a strict JSON-schema response format.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "llm/http_client.hpp"
#include "llm/provider.hpp"
#include "llm/transport.hpp"

namespace selfheal::llm {

struct OpenAiCompatibleConfig {
  std::string provider_name = "openai";  // openai | github_models (error prefix, metrics)
  std::string base_url = "https://api.openai.com/v1";
  std::string model = "gpt-4o-mini";
  std::string api_key;  // resolved from the env var by app/; "" = no Authorization header
  /// OpenAI wants max_completion_tokens; GitHub Models, Ollama /v1 and most gateways read max_tokens.
  std::string token_limit_field = "max_completion_tokens";
  bool strict_schema = true;
  std::vector<std::pair<std::string, std::string>> extra_headers;
  TransportOptions transport;
};

/// Defaults per flavour; base_url/model "" keep the flavour's default.
OpenAiCompatibleConfig openai_config(std::string base_url, std::string model, std::string api_key);
OpenAiCompatibleConfig github_models_config(std::string base_url, std::string model, std::string api_key);

/// Pure: the request body.
std::string build_openai_body(const SuggestionRequest& req, const OpenAiCompatibleConfig& cfg);
/// Pure: a chat.completion response. Errors: bad_input when the body is not one.
Result<Completion> parse_openai_body(std::string_view body);
/// Pure: error.code (or error.type) of an OpenAI error envelope; "" if absent.
std::string openai_error_code(std::string_view body);

class OpenAiCompatibleProvider final : public LlmProvider {
 public:
  OpenAiCompatibleProvider(OpenAiCompatibleConfig cfg, std::shared_ptr<HttpClient> http);
  std::string_view name() const override { return cfg_.provider_name; }
  const std::string& model() const override { return cfg_.model; }
  std::string request_body(const SuggestionRequest& req) const override { return build_openai_body(req, cfg_); }
  Result<Completion> complete(const SuggestionRequest& req, std::chrono::milliseconds deadline) override;

 private:
  OpenAiCompatibleConfig cfg_;
  std::shared_ptr<HttpClient> http_;
};

}  // namespace selfheal::llm
