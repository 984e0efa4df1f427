#pragma once
// JSON responses and query parameters shared by every app/api_*.cpp file (json_error and
// require_token are in context.hpp; QueryParams and send_error in app/http_params.cpp).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include "schema/result.hpp"

namespace httplib {
struct Request;
struct Response;
}

namespace selfheal::app {

/// HTTP status for an error: bad_input 400, unauthorized 401, not_found 404, conflict 409, too_large 413,
/// overloaded 429; config (the server is not set up for this), unavailable and the rest 503.
int http_status(ErrorCode code);

/// Sends `j` as application/json (invalid UTF-8 replaced, never thrown on).
void send_json(httplib::Response& res, const nlohmann::json& j, int status = 200);

/// The one answer to a failed Result: http_status(e.code), {"error": message}; 429 adds Retry-After.
void send_error(httplib::Response& res, const Error& e);

/// The query parameters of one request, read strictly: a value that is not what the parameter takes
/// is a 400 naming it (never a silent default or a prefix: `limit=5x` is refused). Usage:
///   QueryParams p(req);
///   q.limit = p.integer("limit", 50, 1, 500);
///   if (p.failed(res)) return;   // answered 400 with the first problem
class QueryParams {
 public:
  using Params = std::multimap<std::string, std::string>;  // httplib::Params
  explicit QueryParams(const httplib::Request& req);
  explicit QueryParams(const Params& params) : params_(params) {}
  /// A parameter not in `accepted`, or one given twice, is a problem.
  void only(std::initializer_list<std::string_view> accepted);
  bool has(std::string_view name) const;
  std::string text(std::string_view name, std::string dflt = {}) const;
  /// Text of at most `max_size` bytes.
  std::string text(std::string_view name, std::size_t max_size);
  /// One of `choices`; absent: `dflt`.
  std::string choice(std::string_view name, std::initializer_list<std::string_view> choices, std::string dflt = {});
  /// A whole number in [lo, hi]; absent: `dflt`.
  std::int64_t integer(std::string_view name, std::int64_t dflt, std::int64_t lo, std::int64_t hi);
  double number(std::string_view name, double dflt, double lo, double hi);
  /// Records a problem found by the caller ("<name>: <what> (got '<value>')").
  void fail(std::string_view name, const std::string& what);
  /// Answers the first problem as a 400; true when there was one.
  bool failed(httplib::Response& res) const;
  /// The first problem ("" when none).
  const std::string& error() const { return error_; }

 private:
  std::string raw(std::string_view name) const;
  const Params& params_;
  std::string error_;
};

}  // namespace selfheal::app
