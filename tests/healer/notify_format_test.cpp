// Built-in webhook formats checked against the receivers' documented field lists (Slack incoming
// webhooks with Block Kit; PagerDuty Events API v2 "enqueue"): only documented keys, every required
// key, documented enums and length limits. Pure rendering, no network.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "healer/actions/notify.hpp"

using namespace selfheal;
using namespace selfheal::healer;
using nlohmann::json;

namespace {

std::set<std::string> keys(const json& j) {
  std::set<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.insert(it.key());
  return out;
}

bool subset(const std::set<std::string>& a, const std::set<std::string>& allowed) {
  for (const auto& k : a)
    if (!allowed.count(k)) {
      MESSAGE("undocumented key: " << k);
      return false;
    }
  return true;
}

bool rfc3339(const std::string& s) {
  static const std::regex re(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)");
  return std::regex_match(s, re);
}

std::size_t chars(const std::string& s) {  // UTF-8 code points
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::vector<Notification> cases() {
  Fields full = {{"fingerprint_id", "a1b2c3d4e5f6"}, {"service", "checkout"}, {"host", "co-7"},
                 {"strategy", "restart-checkout"}, {"target", "checkout"}, {"action", "restart"},
                 {"level", "critical"}, {"template", "Connection refused to <*>"},
                 {"exception_type", "java.net.ConnectException"}, {"severity", "error"}, {"count", "1234"},
                 {"first_seen", "1700000000000"}, {"last_seen", "1700000060000"}};
  Fields bare = {{"fingerprint_id", "ffff"}, {"service", ""}, {"host", ""}, {"exception_type", ""},
                 {"template", "x"}, {"count", "3"}};
  std::string huge(5000, 'x');
  std::string utf8;
  for (int i = 0; i < 1500; ++i) utf8 += "\xC3\xA9";  // é
  std::vector<Notification> out;
  for (const char* level : {"critical", "warning", "info"}) {
    Notification n;
    n.kind = "page";
    n.level = level;
    n.title = notification_title("Fix did not work", full);
    n.text = "strategy restart-checkout step 1 of 2";
    n.fields = full;
    n.now = 1'700'000'123'456;
    n.link = fingerprint_link("https://selfheal.example/", "a1b2c3d4e5f6");
    out.push_back(n);
  }
  Notification b;
  b.level = "warning";
  b.title = notification_title("", bare);
  b.fields = bare;
  b.now = 1'700'000'000'000;
  out.push_back(b);
  Notification big = out[0];
  big.title = huge;
  big.text = utf8;
  big.fields.emplace_back("template", utf8);
  out.push_back(big);
  return out;
}

}  // namespace

TEST_CASE("titles never show an empty exception type and links are built from the base URL") {
  CHECK(notification_title("", {{"template", "disk full on <*>"}, {"service", "db"}}) == "disk full on <*> on db");
  CHECK(notification_title("Page", {{"exception_type", "IOError"}, {"service", "db"}, {"host", "h1"}}) ==
        "Page: IOError on db@h1");
  CHECK(notification_title("", {{"fingerprint_id", "abc"}}) == "fingerprint abc");
  CHECK(fingerprint_link("http://x:8080//", "abc") == "http://x:8080/api/v1/fingerprints/abc");
  CHECK(fingerprint_link("", "abc").empty());
}

TEST_CASE("generic JSON: numbers are numbers, times are RFC 3339, empty fields are left out") {
  const auto n = cases()[0];
  const auto j = json::parse(render_notification(n, "json"));
  CHECK(j["count"] == 1234);
  CHECK(j["ts_ms"] == 1'700'000'123'456);
  CHECK(rfc3339(j["ts"]));
  CHECK(j["first_seen"] == "2023-11-14T22:13:20.000Z");
  CHECK(j["link"] == "https://selfheal.example/api/v1/fingerprints/a1b2c3d4e5f6");
  const auto bare = json::parse(render_notification(cases()[3], "json"));
  CHECK_FALSE(bare.contains("exception_type"));
  CHECK_FALSE(bare.contains("service"));
  CHECK(bare["title"] == "x");
}

TEST_CASE("slack: only documented Block Kit fields, within their limits") {
  // https://api.slack.com/messaging/webhooks, https://api.slack.com/reference/block-kit/blocks
  const std::set<std::string> top = {"text", "blocks", "attachments", "thread_ts", "mrkdwn"};
  for (const auto& n : cases()) {
    const auto j = json::parse(render_notification(n, "slack"));
    CHECK(subset(keys(j), top));
    REQUIRE(j["text"].is_string());  // the notification fallback
    CHECK(!j["text"].get<std::string>().empty());
    REQUIRE(j["blocks"].is_array());
    CHECK(j["blocks"].size() <= 50);
    for (const auto& b : j["blocks"]) {
      const std::string type = b["type"];
      if (type == "header") {
        CHECK(subset(keys(b), {"type", "text", "block_id"}));
        CHECK(b["text"]["type"] == "plain_text");
        CHECK(chars(b["text"]["text"]) <= 150);
      } else if (type == "section") {
        CHECK(subset(keys(b), {"type", "text", "fields", "accessory", "block_id"}));
        CHECK((b.contains("text") || b.contains("fields")));
        if (b.contains("text")) {
          CHECK(subset(keys(b["text"]), {"type", "text", "emoji", "verbatim"}));
          CHECK((b["text"]["type"] == "mrkdwn" || b["text"]["type"] == "plain_text"));
          CHECK(chars(b["text"]["text"]) <= 3000);
        }
        if (b.contains("fields")) {
          CHECK(b["fields"].size() <= 10);
          for (const auto& f : b["fields"]) {
            CHECK(subset(keys(f), {"type", "text", "emoji", "verbatim"}));
            CHECK(chars(f["text"]) <= 2000);
          }
        }
      } else if (type == "context") {
        CHECK(subset(keys(b), {"type", "elements", "block_id"}));
        CHECK(b["elements"].size() <= 10);
        for (const auto& e : b["elements"]) CHECK((e["type"] == "mrkdwn" || e["type"] == "plain_text"));
      } else {
        FAIL("block type not used by selfheal: " << type);
      }
    }
  }
}

TEST_CASE("pagerduty: an Events API v2 trigger with every required field and documented enums") {
  // https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
  const std::set<std::string> top = {"routing_key", "event_action", "dedup_key", "payload",
                                     "images",      "links",        "client",    "client_url"};
  const std::set<std::string> payload = {"summary", "source", "severity", "timestamp",
                                         "component", "group", "class", "custom_details"};
  const std::string key = "0123456789abcdef0123456789abcdef";
  for (const auto& n : cases()) {
    const auto j = json::parse(render_notification(n, "pagerduty", key));
    CHECK(subset(keys(j), top));
    CHECK(j["routing_key"] == key);
    CHECK(j["event_action"] == "trigger");
    if (j.contains("dedup_key")) CHECK(j["dedup_key"].get<std::string>().size() <= 255);
    REQUIRE(j["payload"].is_object());
    const auto& p = j["payload"];
    CHECK(subset(keys(p), payload));
    for (const char* required : {"summary", "source", "severity"}) CHECK(p.contains(required));
    CHECK(!p["summary"].get<std::string>().empty());
    CHECK(chars(p["summary"]) <= 1024);
    CHECK(!p["source"].get<std::string>().empty());
    const std::string sev = p["severity"];
    CHECK((sev == "critical" || sev == "error" || sev == "warning" || sev == "info"));
    CHECK(rfc3339(p["timestamp"]));
    if (p.contains("custom_details")) CHECK(p["custom_details"].is_object());
    if (j.contains("links"))
      for (const auto& l : j["links"]) {
        CHECK(subset(keys(l), {"href", "text"}));
        CHECK(l.contains("href"));
      }
  }
  const auto j = json::parse(render_notification(cases()[0], "pagerduty", key));
  CHECK(j["payload"]["source"] == "co-7");
  CHECK(j["payload"]["component"] == "checkout");
  CHECK(j["payload"]["class"] == "java.net.ConnectException");
  CHECK(j["payload"]["custom_details"]["count"] == 1234);
}
