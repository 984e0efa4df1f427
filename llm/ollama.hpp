#pragma once
// Ollama native API: POST {base_url}/api/chat with "stream": false and a JSON-schema `format`.
// (Ollama's OpenAI-compatible /v1 endpoint goes through OpenAiCompatibleProvider with max_tokens.)
#include <memory>
#include <string>

#include "llm/http_client.hpp"
#include "llm/provider.hpp"
#include "llm/transport.hpp"

namespace selfheal::llm {

struct OllamaConfig {
  std::string base_url = "http://127.0.0.1:11434";
  std::string model = "llama3.2:3b";
  std::string api_key;           // only for proxies in front of Ollama; "" = no Authorization header
  std::int64_t num_ctx = 8'192;  // context window requested from the model (options.num_ctx)
  TransportOptions transport;
};

/// Pure: the request body.
std::string build_ollama_body(const SuggestionRequest& req, const OllamaConfig& cfg);
/// Pure: a non-streaming answer, or NDJSON stream lines (contents concatenated; an {"error"} line
/// fails the call). Durations in Ollama are nanoseconds; tokens: prompt_eval_count, eval_count.
Result<Completion> parse_ollama_body(std::string_view body);
/// Pure: the text of {"error": "..."} is never returned (it may echo input); "ollama_error" if present.
std::string ollama_error_code(std::string_view body);

class OllamaProvider final : public LlmProvider {
 public:
  OllamaProvider(OllamaConfig cfg, std::shared_ptr<HttpClient> http);
  std::string_view name() const override { return "ollama"; }
  const std::string& model() const override { return cfg_.model; }
  std::string request_body(const SuggestionRequest& req) const override { return build_ollama_body(req, cfg_); }
  Result<Completion> complete(const SuggestionRequest& req, std::chrono::milliseconds deadline) override;

 private:
  OllamaConfig cfg_;
  std::shared_ptr<HttpClient> http_;
};

}  // namespace selfheal::llm
