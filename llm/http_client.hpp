#pragma once
// A tiny HTTP interface so providers are tested against local servers (tests/contract) and the
// libcurl details stay in llm/curl_http_client.cpp.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "schema/result.hpp"

namespace selfheal::llm {

struct HttpRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds total_timeout{60'000};
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased; last value wins
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  /// POSTs and returns any HTTP status (4xx/5xx are not errors here). Errors: unavailable for
  /// connection failures and timeouts. The message never contains the URL or header values.
  /// Thread-safe.
  virtual Result<HttpResponse> post(const HttpRequest& req) = 0;
  /// Aborts in-flight requests and fails later ones (shutdown). Thread-safe; idempotent.
  virtual void cancel() {}
};

/// libcurl implementation (llm/curl_http_client.cpp). https:// always verifies the peer's certificate
/// and host name, against `ca_file` (PEM) when given, else the system's CAs.
std::unique_ptr<HttpClient> make_curl_http_client(std::string ca_file = {});

}  // namespace selfheal::llm
