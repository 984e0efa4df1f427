// Table-driven tests of the message scanner: one row per mask, plus the rules that keep it
// general (no word lists) and safe on any bytes.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fingerprint/normalize.hpp"

namespace fp = selfheal::fingerprint;

namespace {
struct Case {
  const char* name;
  std::string in;
  std::string out;
};
}  // namespace

TEST_CASE("every built-in mask replaces its variable part with <*>") {
  const std::vector<Case> cases = {
      {"integer", "retry 3 of 5", "retry <*> of <*>"},
      {"negative and float", "delta -12 ratio 0.75", "delta <*> ratio <*>"},
      {"hex with 0x", "register 0x00800000 set", "register <*> set"},
      {"hex without digits (8+ chars)", "sha deadbeefcafe ok", "sha <*> ok"},
      {"uuid", "job 123e4567-e89b-12d3-a456-426614174000 done", "job <*> done"},
      {"ipv4", "from 10.1.2.3 accepted", "from <*> accepted"},
      {"ipv4 with port (an address is one value)", "peer 10.1.2.3:8080 closed", "peer <*> closed"},
      {"name with port", "connect redis.svc:6379 and db-1:5432", "connect <*> and <*>"},
      {"key:number stays a key", "retries:3 memory:1024 rabbitmq:5672", "retries:<*> memory:<*> rabbitmq:<*>"},
      {"a list of joined values", "peers 10.0.0.1:80 10.0.0.2:80 10.0.0.3:80 ok", "peers <*> ok"},
      {"a unit only after a number", "from 10.1.2.3:8080 b and 5 b", "from <*> b and <*>"},
      {"a month name only next to a date part", "found 3 SAT instances on 3 Mar 2024", "found <*> SAT instances on <*>"},
      {"ipv6 from ::", "from ::1 and ::ffff:10.0.0.1 ok", "from <*> and <*> ok"},
      {"ipv6 with port", "from 2001:db8::5dd3:38080 on port 1883.", "from <*> on port <*>"},
      {"ipv6", "iface (FE80:0000:0000:0000:D8A5:90FF:FEF5:7FFF) up", "iface (<*>) up"},
      {"compressed ipv6", "addr fe80::1 ok", "addr <*> ok"},
      {"mac", "bssid 5c:50:15:4c:18:13 seen", "bssid <*> seen"},
      // A colon-separated run of digits is one value (the IPv6/MAC rule); ISO date-times mask
      // field by field: one <*> for them was tried and lost GA on the unseen cross-check half.
      {"time", "at 09:21:58.929 ready", "at <*> ready"},
      {"iso date-time", "since 2024-01-01T10:00:00Z", "since <*>"},
      {"date with weekday and month names", "at Tue Mar 3 10:15:02 2026 failed", "at <*> failed"},
      {"day month year", "saved on 13 Nov 2024 21:28:00.482 ok", "saved on <*> ok"},
      {"full month name", "expires March 3, 2027", "expires <*>"},
      {"date", "on 2024-01-01 ok", "on <*> ok"},
      {"size with unit", "free 5.2 KB, used 17.7 GB", "free <*>, used <*>"},
      {"duration with unit", "took 160 ms", "took <*>"},
      {"duration glued to number", "timeout 3000ms exceeded", "timeout <*> exceeded"},
      {"absolute path", "open /var/lib/app/data failed", "open <*> failed"},
      {"relative path", "load ./conf/app.yaml", "load <*>"},
      {"home path", "read ~/notes.txt", "read <*>"},
      {"url", "GET https://example.com/a/b?x=1 failed", "GET <*> failed"},
      {"url in brackets", "fs [hdfs://namenode:9000]", "fs [<*>]"},
      {"e-mail", "mail to ops@example.com sent", "mail to <*> sent"},
      {"hostname with common TLD", "lookup ns.example.net failed", "lookup <*> failed"},
      {"key=value with digits", "uid=0 euid=1000 tty=ssh", "uid=<*> euid=<*> tty=ssh"},
      {"id mixing letters and digits", "block blk_-1608 stored", "block <*> stored"},
      {"dot leaders", "alignment.........0", "alignment.........<*>"},
      {"run of wildcards collapses", "values 1 2 3 4 end", "values <*> end"},
      {"quoted number", "value '42' rejected", "value '<*>' rejected"},
      {"empty key=value", "logname= uid=0 ruser= rhost=h", "logname=<*> uid=<*> ruser=<*> rhost=h"},
      {"empty quotes", "user '' and name \"\" given", "user '<*>' and name \"<*>\" given"},
      {"empty brackets as a value", "members:[] and () but f() and a[] stay", "members:[<*>] and (<*>) but f() and a[] stay"},
      {"comma-separated list", "peers 10.0.0.1, 10.0.0.2, 10.0.0.3 ok", "peers <*> ok"},
      {"comma list without spaces", "channel 36,+1 set", "channel <*> set"},
      {"quoted structured value of several words", "err=\"connection reset by peer\" n=3", "err=<*> n=<*>"},
      {"quoted value with quotes inside", "err=\"key \"a/b\" not found\" n=1", "err=<*> n=<*>"},
      {"quoted value with escaped quotes", "err=\"bad \\\"x\\\" here\" n=1", "err=<*> n=<*>"},
      {"the structured message stays literal", "msg=\"Head GC completed\" component=tsdb", "msg=\"Head GC completed\" component=tsdb"},
      {"path with a query string", "request: \"GET /x?a=1&b=2 HTTP/1.1\", host", "request: \"GET <*> <*>\", host"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(fp::normalize(c.in) == c.out);
  }
}

TEST_CASE("words without digits that are not paths, hosts or hashes stay literal") {
  // The scanner has no word lists: enum-like and user words are left to the learned merges.
  CHECK(fp::normalize("Invalid user admin from host") == "Invalid user admin from host");
  CHECK(fp::normalize("state LOOKING") == "state LOOKING");
  CHECK(fp::normalize("class org.apache.Foo loaded") == "class org.apache.Foo loaded");
  CHECK(fp::normalize("load/store and r/w") == "load/store and r/w");
  CHECK(fp::normalize("file hadoop-metrics.properties") == "file hadoop-metrics.properties");
  CHECK(fp::normalize("Class::method called") == "Class::method called");
  // Month and weekday names are dates only next to a number or another date part.
  CHECK(fp::normalize("May be retried on Monday") == "May be retried on Monday");
  CHECK(fp::normalize("Connection opened") == "Connection opened");
}

TEST_CASE("whitespace is collapsed and control characters count as whitespace") {
  CHECK(fp::normalize("  a \t b  ") == "a b");
  CHECK(fp::normalize(std::string("a\0b", 3)) == "a b");
  CHECK(fp::normalize("a\r\nb") == "a b");
  CHECK(fp::normalize("") == "");
  CHECK(fp::normalize("   ") == "");
}

TEST_CASE("normalising a template again gives the same template") {
  const std::vector<std::string> inputs = {
      "Failed password for root from 5.36.59.76 port 42393 ssh2",
      "Received block blk_-4411589101766563890 src: /10.250.14.38:37362 dest: /10.250.14.38:50010",
      "GET https://example.com/x?y=1 took 12 ms",
      "values 1 2 3 [0x1f] key=7",
      "at Tue Mar 3 10:15:02 2026 err=\"a b\" peers 1.2.3.4, 5.6.7.8 logname= x=''",
  };
  for (const auto& in : inputs) {
    std::string once = fp::normalize(in);
    CHECK(fp::normalize(once) == once);
  }
}

TEST_CASE("values keep the raw text behind each wildcard, capped") {
  fp::Normalized n;
  fp::normalize_into("from 10.1.2.3 port 22", n);
  REQUIRE(n.values.size() == 2);
  CHECK(n.values[0] == "10.1.2.3");
  CHECK(n.values[1] == "22");

  std::string many;
  for (int i = 0; i < 40; ++i) many += "x" + std::to_string(i) + " ";
  fp::NormalizeOptions opts;
  opts.collapse_wildcards = false;
  fp::normalize_into(many, n, opts);
  CHECK(n.values.size() == opts.max_values);

  fp::normalize_into("id " + std::string(500, '7'), n);
  REQUIRE(n.values.size() == 1);
  CHECK(n.values[0].size() == opts.max_value_bytes);
}

TEST_CASE("invalid UTF-8 and huge lines never break the scanner") {
  std::string bad = "caf\xc3 \xff\xfe 12 \xe2\x82";
  CHECK(fp::normalize(bad) == "caf\xc3 \xff\xfe <*> \xe2\x82");
  std::string huge(1 << 20, 'a');
  huge[100] = ' ';
  huge[200] = '7';
  std::string out = fp::normalize(huge);
  CHECK(out.size() <= fp::NormalizeOptions{}.max_input_bytes + 8);
}

TEST_CASE("strip_header removes timestamp, level, thread and logger, and nothing else") {
  const std::vector<Case> cases = {
      {"iso + level + thread + logger", "2024-01-01T00:00:00.000Z ERROR [main] app - unhandled exception",
       "unhandled exception"},
      {"space date + comma millis", "2024-03-05 10:11:12,345 WARN  c.a.Service: disk low", "disk low"},
      {"bracketed timestamp", "[2024-03-05 10:11:12] INFO started", "started"},
      {"syslog", "Nov 23 20:00:41 sshd: Accepted password", "Accepted password"},
      {"syslog host and tag", "Jul  1 09:00:55 myhost kernel[0]: link up", "link up"},
      {"no timestamp: unchanged", "error: Received disconnect", "error: Received disconnect"},
      {"level alone is a header (shippers cut the timestamp)", "ERROR something", "something"},
      {"a shouted sentence is not a level prefix", "ERROR IN CONTACTING RM.", "ERROR IN CONTACTING RM."},
      {"an exception type is not a level", "Error: connect ECONNREFUSED", "Error: connect ECONNREFUSED"},
      {"plain message", "Connection closed by 1.2.3.4", "Connection closed by 1.2.3.4"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(std::string(fp::strip_header(c.in)) == c.out);
  }
  CHECK(fp::starts_with_timestamp("2024-01-01T00:00:00.000Z x"));
  CHECK(fp::starts_with_timestamp("Mon Nov 23 20:00:41 2026 x"));
  CHECK_FALSE(fp::starts_with_timestamp("\tat com.x.Y.z(Y.java:1)"));
  CHECK_FALSE(fp::starts_with_timestamp("1234 apples"));
}
