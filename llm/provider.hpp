#pragma once
// The LlmProvider interface: one chat request in, the model's raw answer out. Implementations:
// llm/openai_compatible.hpp (OpenAI, GitHub Models, any OpenAI-compatible gateway incl. Ollama /v1)
// and llm/ollama.hpp (Ollama native /api/chat). Parsing the answer into a Suggestion is separate
// (llm/suggestion.hpp), so a cut-off or invalid answer is kept raw as a failed attempt.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "schema/result.hpp"

namespace selfheal::llm {

/// What is sent: already redacted and budgeted by the context builder (llm/context.hpp).
struct SuggestionRequest {
  std::string fingerprint_id;  // for logs only; never sent
  std::string system_prompt;
  std::string user_prompt;
  std::int64_t max_output_tokens = 800;  // always sent
  double temperature = 0.2;
};

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens = 0;
};

/// The model's answer before validation.
struct Completion {
  std::string content;        // the JSON text the model wrote (may be invalid or cut off)
  std::string finish_reason;  // stop | length | content_filter | refusal | ...
  std::string model;          // as reported by the provider
  Usage usage;
  std::int64_t latency_ms = 0;  // whole call, retries included
  int attempts = 0;             // HTTP requests made
};

class LlmProvider {
 public:
  virtual ~LlmProvider() = default;
  /// "openai", "github_models", "ollama".
  virtual std::string_view name() const = 0;
  /// The configured model id (cache key part).
  virtual const std::string& model() const = 0;
  /// The exact HTTP body complete() would send. Pure; used by `selfheal suggest --preview`.
  virtual std::string request_body(const SuggestionRequest& req) const = 0;
  /// Sends the request, retrying transient failures (llm/retry.hpp) until `deadline` has passed.
  /// Blocks; thread-safe. Errors: unavailable (network, timeout, 5xx/429 after retries),
  /// permanent (410 retired, insufficient quota), unauthorized (401/403), config (400/404),
  /// bad_input (the provider's answer is not a chat completion). Messages never contain the key
  /// or the endpoint URL.
  virtual Result<Completion> complete(const SuggestionRequest& req, std::chrono::milliseconds deadline) = 0;
};

}  // namespace selfheal::llm
