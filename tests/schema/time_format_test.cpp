#include <doctest/doctest.h>

#include "schema/time_format.hpp"

using namespace selfheal;

TEST_CASE("RFC 3339 round trip and the accepted spellings of time") {
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_rfc3339(1'795'464'000'123) == "2026-11-23T20:00:00.123Z");
  CHECK(parse_time("2026-11-23T20:00:00.123Z") == 1'795'464'000'123);
  CHECK(parse_time("2026-11-23T21:00:00+01:00") == 1'795'464'000'000);
  CHECK(parse_time("1795464000") == 1'795'464'000'000);            // seconds
  CHECK(parse_time("1795464000123") == 1'795'464'000'123);         // ms
  CHECK(parse_time("1795464000123456789") == 1'795'464'000'123);   // ns (Loki)
  CHECK_FALSE(parse_time("yesterday"));
  CHECK_FALSE(parse_time("2026-13-01T00:00:00Z"));
  CHECK_FALSE(parse_time(""));
}

TEST_CASE("durations with units") {
  CHECK(parse_duration_ms("250ms") == 250);
  CHECK(parse_duration_ms("30s") == 30'000);
  CHECK(parse_duration_ms("5m") == 300'000);
  CHECK(parse_duration_ms("2h") == 7'200'000);
  CHECK(parse_duration_ms("7d") == 604'800'000);
  CHECK_FALSE(parse_duration_ms("5 minutes"));
  CHECK_FALSE(parse_duration_ms("m"));
}
