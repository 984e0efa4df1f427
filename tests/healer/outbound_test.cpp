// What the healer sends off the machine goes through the redactor (healer/outbound.hpp): pure rules
// here; tests/integration/outbound_redaction_test.cpp checks the real bodies of a running serve.
#include <doctest/doctest.h>

#include "healer/outbound.hpp"

using namespace selfheal;
using namespace selfheal::healer;

TEST_CASE("redact_fields: text fields are redacted, identity fields that pass the argv check and numbers are not") {
  const auto r = Redactor::builtin();
  Fields f = {{"fingerprint_id", "4dd540732526bc6e"},
              {"service", "payments"},
              {"host", "10.0.0.5"},  // a remediation may need the real host
              {"target", "payments"},
              {"template", "psql: env PGPASSWORD=hunterxyz PGUSER=app"},
              {"exception_type", "AuthError token=QwErTyUiOpAsDfGhJkLz"},
              {"count", "42"},
              {"first_seen", "1700000000000"},
              {"reason", "upstream said: Authorization: Bearer s3cr3tT0kenValue42xyz"}};
  redact_fields(f, *r);
  auto get = [&](const char* k) {
    for (const auto& [n, v] : f)
      if (n == k) return v;
    return std::string();
  };
  CHECK(get("fingerprint_id") == "4dd540732526bc6e");
  CHECK(get("service") == "payments");
  CHECK(get("host") == "10.0.0.5");
  CHECK(get("count") == "42");
  CHECK(get("first_seen") == "1700000000000");
  CHECK(get("template") == "psql: env PGPASSWORD=[REDACTED:secret_value] PGUSER=app");
  CHECK(get("exception_type") == "AuthError token=[REDACTED:secret_value]");
  CHECK(get("reason").find("s3cr3tT0kenValue42xyz") == std::string::npos);

  // An identity field that fails the argv check is log text like any other: redacted.
  Fields odd = {{"service", "svc password=hunter2hunter"}, {"host", "db user jane@example.com"}};
  redact_fields(odd, *r);
  CHECK(odd[0].second == "svc password=[REDACTED:secret_value]");
  CHECK(odd[1].second == "db user [REDACTED:email]");
}

TEST_CASE("a notification is redacted in its title, text, fields and extra facts before any channel sees it") {
  Notification n;
  n.title = "Approval needed: aws secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  n.text = "why: cookie session=9f86d081884c7d659a2feaa0c55ad015";
  n.fields = {{"template", "login failed password=hunter2hunter"}, {"service", "api"}};
  n.extra = {{"command", "/usr/bin/notify --token=abc123tokenvalue"}};
  const Notification out = redacted(n, *Redactor::builtin());
  for (const auto& channel : {"json", "slack", "pagerduty"}) {
    CAPTURE(channel);
    const std::string body = render_notification(out, channel, "routing");
    for (const char* secret : {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "9f86d081884c7d659a2feaa0c55ad015",
                               "hunter2hunter", "abc123tokenvalue"})
      CHECK(body.find(secret) == std::string::npos);
    CHECK(body.find("[REDACTED:") != std::string::npos);
  }
  CHECK(out.fields[1].second == "api");
}
