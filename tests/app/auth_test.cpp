// app/auth.hpp: what each route needs, what each role may, and how a request's credential is read.
#include <doctest/doctest.h>

#include "app/auth.hpp"

using namespace selfheal::app;

namespace {
const std::vector<std::string> probes = {"/healthz", "/readyz", "/metrics"};

Authenticator make() {
  auto a = Authenticator::from_secrets({{{"vera", Role::viewer, "V"}, "view-1"},
                                        {{"alice", Role::operator_, "O"}, "ops-2"},
                                        {{"promtail", Role::ingest, "I"}, "ship-3"},
                                        {{"root", Role::admin, "A"}, "root-4"}});
  REQUIRE(a);
  return *a;
}
}  // namespace

TEST_CASE("routes: probes open, GETs read, pushes ingest, other POSTs operate, other methods admin") {
  CHECK(route_access("GET", "/healthz", probes) == Access::open);
  CHECK(route_access("GET", "/metrics", {"/healthz"}) == Access::read);
  CHECK(route_access("GET", "/api/v1/fingerprints", probes) == Access::read);
  CHECK(route_access("HEAD", "/api/v1/stats", probes) == Access::read);
  CHECK(route_access("POST", "/loki/api/v1/push", probes) == Access::ingest);
  CHECK(route_access("POST", "/api/prom/push", probes) == Access::ingest);
  CHECK(route_access("POST", "/v1/logs", probes) == Access::ingest);
  CHECK(route_access("POST", "/otlp/v1/logs", probes) == Access::ingest);
  CHECK(route_access("POST", "/api/v1/healing/simulate", probes) == Access::read);
  CHECK(route_access("POST", "/api/v1/approvals/1/approve", probes) == Access::operate);
  CHECK(route_access("POST", "/healthz", probes) == Access::operate);
  CHECK(route_access("DELETE", "/api/v1/fingerprints/x", probes) == Access::admin);
  // The web UI's static files are open (they hold no data); its API calls are not.
  CHECK(route_access("GET", "/", probes) == Access::open);
  CHECK(route_access("GET", "/ui/fingerprints/abc", probes) == Access::open);
  CHECK(route_access("GET", "/uix", probes) == Access::read);
  CHECK(route_access("POST", "/ui/fingerprints", probes) == Access::operate);
}

TEST_CASE("roles: viewer reads, operator reads and changes, ingest only pushes, admin everything") {
  CHECK(role_allows(Role::viewer, Access::read));
  CHECK_FALSE(role_allows(Role::viewer, Access::operate));
  CHECK_FALSE(role_allows(Role::viewer, Access::ingest));
  CHECK(role_allows(Role::operator_, Access::read));
  CHECK(role_allows(Role::operator_, Access::operate));
  CHECK_FALSE(role_allows(Role::operator_, Access::ingest));
  CHECK_FALSE(role_allows(Role::operator_, Access::admin));
  CHECK(role_allows(Role::ingest, Access::ingest));
  CHECK_FALSE(role_allows(Role::ingest, Access::read));
  CHECK_FALSE(role_allows(Role::ingest, Access::operate));
  for (Access a : {Access::open, Access::read, Access::ingest, Access::operate, Access::admin})
    CHECK(role_allows(Role::admin, a));
}

TEST_CASE("credentials: Bearer in any case, Basic with the token as password, X-Selfheal-Token; nothing else") {
  const auto a = make();
  CHECK(a.authenticate("Bearer ops-2", "")->name == "alice");
  CHECK(a.authenticate("bearer ops-2", "")->name == "alice");
  CHECK(a.authenticate("BEARER   ops-2  ", "")->name == "alice");
  CHECK(a.authenticate("Basic cHJvbXRhaWw6c2hpcC0z", "")->name == "promtail");  // promtail:ship-3
  CHECK(a.authenticate("basic cHJvbXRhaWw6c2hpcC0z", "")->name == "promtail");
  CHECK_FALSE(a.authenticate("Basic c2hpcC0z", ""));        // "ship-3" without user:
  CHECK_FALSE(a.authenticate("Basic !!!!", ""));
  CHECK_FALSE(a.authenticate("Token ops-2", ""));
  CHECK_FALSE(a.authenticate("Bearer ops-", ""));
  CHECK_FALSE(a.authenticate("Bearer ops-22", ""));
  CHECK_FALSE(a.authenticate("", ""));
  CHECK(a.authenticate("", "root-4")->name == "root");
  // The Authorization header wins over X-Selfheal-Token.
  CHECK_FALSE(a.authenticate("Bearer wrong", "root-4"));
}

TEST_CASE("authorize: 401 without or with an unknown token, 403 for a role that may not, the actor is the token's name") {
  const auto a = make();
  auto d = authorize(a, probes, "POST", "/api/v1/fingerprints/x/resolve", "", "");
  CHECK(d.status == 401);
  d = authorize(a, probes, "POST", "/api/v1/fingerprints/x/resolve", "Bearer nope", "");
  CHECK(d.status == 401);
  d = authorize(a, probes, "POST", "/api/v1/fingerprints/x/resolve", "Bearer view-1", "");
  CHECK(d.status == 403);
  CHECK(d.error.find("vera") != std::string::npos);
  d = authorize(a, probes, "POST", "/api/v1/fingerprints/x/resolve", "Bearer ops-2", "");
  CHECK(d.status == 200);
  CHECK(d.actor == "alice");
  d = authorize(a, probes, "GET", "/metrics", "", "");
  CHECK(d.status == 200);
  // No token configured: open, and the actor is "anonymous" whatever the request carries.
  d = authorize(Authenticator{}, probes, "POST", "/api/v1/approvals/1/approve", "Bearer whoever", "");
  CHECK(d.status == 200);
  CHECK(d.actor == "anonymous");
}

TEST_CASE("token lists: one secret per token, names unique") {
  CHECK_FALSE(Authenticator::from_secrets({{{"a", Role::admin, "A"}, "same"}, {{"b", Role::viewer, "B"}, "same"}}));
  CHECK_FALSE(Authenticator::from_secrets({{{"a", Role::admin, "A"}, "x"}, {{"a", Role::viewer, "B"}, "y"}}));
  CHECK_FALSE(Authenticator::from_secrets({{{"a", Role::admin, "A"}, ""}}));
  CHECK(Authenticator::from_secrets({})->enabled() == false);
}
