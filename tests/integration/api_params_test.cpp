// Every API route reads its query parameters one way (app/http_util.hpp QueryParams): a bad value is a
// 400 whose message names the parameter, never a silent default or prefix (issue 16: `limit=5x` was
// accepted as 5 by the suggestions API).
#include <doctest/doctest.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "tests/support/support.hpp"

using namespace selfheal;

TEST_CASE("a bad query parameter is a 400 naming it on every route; good values still answer 200") {
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"));
  struct Case {
    const char* path;
    const char* message;  // substring of the error
  };
  const Case bad[] = {
      {"/api/v1/suggestions?limit=5x", "limit: an integer between 1 and 500 (got '5x')"},
      {"/api/v1/suggestions?limit=501", "limit: an integer between 1 and 500"},
      {"/api/v1/suggestions?cursor=-3", "cursor: an integer between 0 and"},
      {"/api/v1/suggestions?min_confidence=0.5x", "min_confidence: a number between 0 and 1"},
      {"/api/v1/suggestions?status=maybe", "status: one of proposed, accepted, rejected, applied"},
      {"/api/v1/healing/runs?limit=5x", "limit: an integer between 1 and 1000"},
      {"/api/v1/healing/runs?before=12abc", "before: an integer between 0 and"},
      {"/api/v1/healing/overview?limit=0", "limit: an integer between 1 and 1000"},
      {"/api/v1/approvals?limit=x", "limit: an integer between 1 and 1000"},
      {"/api/v1/dead-letters?after=-1", "after: an integer between 0 and"},
      {"/api/v1/dead-letters?limit=10x", "limit: an integer between 1 and 1000"},
      {"/api/v1/audit?cursor=7up", "cursor: an integer between 0 and"},
  };
  for (const auto& c : bad) {
    CAPTURE(c.path);
    auto r = test::http_get(serve.base_url(), c.path);
    CHECK(r.status == 400);
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j["status"] == 400);
    CHECK_MESSAGE(j["error"].get<std::string>().find(c.message) != std::string::npos, r.body);
  }
  for (const char* ok :
       {"/api/v1/suggestions?limit=5&cursor=0&min_confidence=0.5&status=proposed",
        "/api/v1/healing/runs?limit=5&before=10", "/api/v1/healing/overview?limit=3",
        "/api/v1/approvals?limit=2&status=all", "/api/v1/dead-letters?after=0&limit=10", "/api/v1/audit?cursor=0"}) {
    CAPTURE(ok);
    CHECK(test::http_get(serve.base_url(), ok).status == 200);
  }
  CHECK(test::http_post(serve.base_url(), "/api/v1/dead-letters/12x/replay", "").status == 404);  // not a route
  auto missing = test::http_post(serve.base_url(), "/api/v1/dead-letters/99/replay", "");
  CHECK(missing.status == 404);
  CHECK(serve.stop(SIGTERM) == 0);
}
