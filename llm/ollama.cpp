#include "llm/ollama.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "llm/suggestion.hpp"

namespace selfheal::llm {
std::string build_ollama_body(const SuggestionRequest& req, const OllamaConfig& cfg) {
  nlohmann::ordered_json body;
  body["model"] = cfg.model;
  body["stream"] = false;
  body["options"] = {
      {"temperature", req.temperature}, {"num_predict", req.max_output_tokens}, {"num_ctx", cfg.num_ctx}};
  body["format"] = nlohmann::ordered_json::parse(suggestion_schema_json());
  body["messages"] = nlohmann::ordered_json::array({
      {{"role", "system"}, {"content", req.system_prompt}},
      {{"role", "user"}, {"content", req.user_prompt}},
  });
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Completion> parse_ollama_body(std::string_view body) {
  Completion c;
  bool done = false;
  int objects = 0;
  std::size_t pos = 0;
  // One object (stream:false, possibly pretty-printed) or NDJSON lines (a server that streams
  // anyway): try the whole body first.
  std::vector<std::string_view> lines;
  if (nlohmann::json::accept(body.begin(), body.end())) {
    lines.push_back(body);
    pos = body.size();
  }
  while (pos < body.size()) {
    std::size_t nl = body.find('\n', pos);
    lines.push_back(body.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? body.size() : nl + 1;
  }
  for (std::string_view line : lines) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error(ErrorCode::bad_input, "response is not JSON");
    ++objects;
    if (j.contains("error")) return make_error(ErrorCode::unavailable, "the model failed while answering");
    if (auto m = j.find("message"); m != j.end() && m->is_object()) {
      if (auto content = m->find("content"); content != m->end() && content->is_string()) {
        c.content += content->get<std::string>();
      }
    }
    if (auto m = j.find("model"); m != j.end() && m->is_string()) c.model = *m;
    if (auto d = j.find("done"); d != j.end() && d->is_boolean() && d->get<bool>()) {
      done = true;
      if (auto r = j.find("done_reason"); r != j.end() && r->is_string()) c.finish_reason = *r;
      c.usage.prompt_tokens = json_int_or_zero(j, "prompt_eval_count");
      c.usage.completion_tokens = json_int_or_zero(j, "eval_count");
      c.usage.total_tokens = c.usage.prompt_tokens + c.usage.completion_tokens;
    }
  }
  if (objects == 0) return make_error(ErrorCode::bad_input, "empty response");
  if (!done) return make_error(ErrorCode::bad_input, "response ended before done");
  if (c.finish_reason.empty()) c.finish_reason = "stop";
  return c;
}

std::string ollama_error_code(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {};
  auto e = j.find("error");
  if (e == j.end()) return {};
  if (e->is_object()) {  // OpenAI envelope from the /v1 layer or a proxy
    if (auto code = e->find("code"); code != e->end() && code->is_string()) return *code;
  }
  return "ollama_error";
}

OllamaProvider::OllamaProvider(OllamaConfig cfg, std::shared_ptr<HttpClient> http)
    : cfg_(std::move(cfg)), http_(std::move(http)) {
  if (cfg_.transport.provider_name.empty()) cfg_.transport.provider_name = "ollama";
}

Result<Completion> OllamaProvider::complete(const SuggestionRequest& req, std::chrono::milliseconds deadline) {
  return post_with_retries(*http_, json_post(cfg_.base_url, "/api/chat", cfg_.api_key, build_ollama_body(req, cfg_)),
                           deadline, cfg_.transport, parse_ollama_body, ollama_error_code);
}

}  // namespace selfheal::llm
