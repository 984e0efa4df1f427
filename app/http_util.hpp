#pragma once
// JSON responses shared by every app/api_*.cpp file (json_error and require_token are in context.hpp).
#include <nlohmann/json.hpp>

#include "schema/result.hpp"

namespace httplib {
struct Response;
}

namespace selfheal::app {

/// HTTP status for an error: bad_input 400, unauthorized 401, not_found 404, conflict 409, too_large 413,
/// overloaded 429; config (the server is not set up for this), unavailable and the rest 503.
int http_status(ErrorCode code);

/// Sends `j` as application/json (invalid UTF-8 replaced, never thrown on).
void send_json(httplib::Response& res, const nlohmann::json& j, int status = 200);

}  // namespace selfheal::app
