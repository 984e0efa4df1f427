// Syslog parsing (RFC 5424, RFC 3164 and the shapes real senders produce) and RFC 6587 framing.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ingest/syslog_parse.hpp"

using namespace selfheal;
using namespace selfheal::ingest;

namespace {

// 2026-12-04T12:00:00Z
constexpr UnixMs kNow = 1796385600000;

struct Good {
  const char* in;
  bool rfc5424;
  int facility, severity;
  UnixMs ts;  // -1: don't check
  const char* host;
  const char* app;
  const char* procid;
  const char* msgid;
  const char* msg;
};

}  // namespace

TEST_CASE("syslog: well-formed messages, RFC 5424 and RFC 3164 as real senders write them") {
  const Good cases[] = {
      // RFC 5424 §6.5 examples
      {"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM'su root' failed for lonvick on /dev/pts/8",
       true, 4, 2, 1065910455003, "mymachine.example.com", "su", "", "ID47",
       "BOM'su root' failed for lonvick on /dev/pts/8"},
      {"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.", true,
       20, 5, 1061727255000, "192.0.2.1", "myproc", "8710", "", "%% It's time to make the do-nuts."},
      {"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
       "eventSource=\"Application\" eventID=\"1011\"] \xEF\xBB\xBF" "An application event log entry...",
       true, 20, 5, 1065910455003, "mymachine.example.com", "evntslog", "", "ID47", "An application event log entry..."},
      {"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"]"
       "[examplePriority@32473 class=\"high\"]",
       true, 20, 5, 1065910455003, "mymachine.example.com", "evntslog", "", "ID47", ""},
      // all NILVALUEs
      {"<14>1 - - - - - -", true, 1, 6, 0, "", "", "", "", ""},
      // rsyslog RSYSLOG_SyslogProtocol23Format (trailing LF kept by some senders)
      {"<13>1 2026-12-04T11:59:58.123456+00:00 web-1 api 4242 - - ERROR payment failed\n", true, 1, 5,
       1796385598123, "web-1", "api", "4242", "", "ERROR payment failed"},
      // RFC 3164 (BSD): timestamp, host, tag[pid]:
      {"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", false, 4, 2, -1, "mymachine",
       "su", "", "", "'su root' failed for lonvick on /dev/pts/8"},
      {"<13>Dec  4 11:00:00 web-1 sshd[1234]: Accepted publickey for deploy", false, 1, 5, 1796382000000, "web-1",
       "sshd", "1234", "", "Accepted publickey for deploy"},
      // no hostname (a local socket or logger without --rfc3164 host)
      {"<13>Dec  4 11:00:00 cron[77]: (root) CMD (run-parts)", false, 1, 5, 1796382000000, "", "cron", "77", "",
       "(root) CMD (run-parts)"},
      // rsyslog's high-precision traditional format (RFC 3339 time in a BSD message)
      {"<11>2026-12-04T11:00:00.5Z db-2 postgres[9]: FATAL: too many connections", false, 1, 3, 1796382000500,
       "db-2", "postgres", "9", "", "FATAL: too many connections"},
      // no timestamp at all: everything after PRI is the message
      {"<190>hello world", false, 23, 6, 0, "", "", "", "", "hello world"},
      // a tag without a colon is not a tag
      {"<13>Dec  4 11:00:00 web-1 kernel message without tag", false, 1, 5, 1796382000000, "web-1", "", "", "",
       "kernel message without tag"},
      // a time more than a day ahead is last year
      {"<13>Dec 31 23:00:00 h app: x", false, 1, 5, 1767222000000, "h", "app", "", "", "x"},
      // CRLF terminator
      {"<13>1 - h a p m - text\r\n", true, 1, 5, 0, "h", "a", "p", "m", "text"},
      // PRI 0 and 191 are the bounds
      {"<0>1 - h a - - - kernel panic", true, 0, 0, 0, "h", "a", "", "", "kernel panic"},
      {"<191>1 - h a - - - debug", true, 23, 7, 0, "h", "a", "", "", "debug"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    auto p = parse_syslog(c.in, kNow);
    REQUIRE_MESSAGE(p.ok(), p.reason);
    const auto& m = p.message;
    CHECK(m.rfc5424 == c.rfc5424);
    CHECK(m.facility == c.facility);
    CHECK(m.severity == c.severity);
    if (c.ts != -1) CHECK(m.ts == c.ts);
    CHECK(m.host == c.host);
    CHECK(m.app == c.app);
    CHECK(m.procid == c.procid);
    CHECK(m.msgid == c.msgid);
    CHECK(m.msg == c.msg);
  }
}

TEST_CASE("syslog: structured data is unescaped and becomes bounded labels") {
  auto p = parse_syslog(
      "<165>1 2003-10-11T22:14:15.003Z h app - - [exampleSDID@32473 iut=\"3\" msg=\"a \\\"quoted\\\" \\] \\\\ x\"]"
      "[origin ip=\"192.0.2.1\" software=\"rsyslogd\"] body",
      kNow);
  REQUIRE(p.ok());
  REQUIRE(p.message.sd.size() == 4);
  CHECK(p.message.sd[0].id == "exampleSDID@32473");
  CHECK(p.message.sd[1].value == "a \"quoted\" ] \\ x");
  CHECK(p.message.msg == "body");
  auto labels = syslog_labels(p.message, 3);
  auto get = [&](const char* k) {
    for (const auto& kv : labels)
      if (kv.first == k) return kv.second;
    return std::string("<absent>");
  };
  CHECK(get("host") == "h");
  CHECK(get("app") == "app");
  CHECK(get("syslog_facility") == "local4");
  CHECK(get("syslog_severity") == "notice");
  CHECK(get("sd_exampleSDID_32473_iut") == "3");
  CHECK(get("sd_origin_ip") == "192.0.2.1");
  CHECK(get("sd_origin_software") == "<absent>");  // over max_sd_labels = 3
  CHECK(to_level(3) == Severity::error);
  CHECK(to_level(4) == Severity::warning);
  CHECK(to_level(0) == Severity::critical);
  CHECK(to_level(7) == Severity::debug);
}

TEST_CASE("syslog: malformed messages are refused with a reason code") {
  struct Bad {
    std::string in;
    SyslogReject why;
  };
  const Bad cases[] = {
      {"", SyslogReject::empty},
      {"\r\n", SyslogReject::empty},
      {"no pri here", SyslogReject::bad_pri},
      {"<>1 - - - - - -", SyslogReject::bad_pri},
      {"<192>1 - - - - - -", SyslogReject::bad_pri},
      {"<1234>x", SyslogReject::bad_pri},
      {"<013>x", SyslogReject::bad_pri},
      {"<13", SyslogReject::bad_pri},
      {"<13>2 - - - - - -", SyslogReject::bad_version},
      {"<13>1 yesterday h a p m - x", SyslogReject::bad_timestamp},
      {"<13>1 2026-13-45T99:00:00Z h a p m - x", SyslogReject::bad_timestamp},
      {"<13>1 -", SyslogReject::bad_header},
      {"<13>1 - h a p", SyslogReject::bad_header},
      {"<13>1 - h " + std::string(49, 'a') + " p m - x", SyslogReject::bad_header},
      {"<13>1 - h\x01 a p m - x", SyslogReject::bad_header},
      {"<13>1 - h a p m x", SyslogReject::bad_structured_data},
      {"<13>1 - h a p m [id", SyslogReject::bad_structured_data},
      {"<13>1 - h a p m [id k=\"v]", SyslogReject::bad_structured_data},
      {"<13>1 - h a p m [id k=v]", SyslogReject::bad_structured_data},
      {"<13>1 - h a p m [] x", SyslogReject::bad_structured_data},
      {"<13>1 - h a p m [id]x", SyslogReject::bad_structured_data},
      {std::string("<13>1 - h a p m - x\0y", 22), SyslogReject::nul_byte},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    auto p = parse_syslog(c.in, kNow);
    CHECK(to_string(p.reject) == to_string(c.why));
    CHECK_FALSE(p.reason.empty());
  }
}

TEST_CASE("syslog framing: octet counting and LF framing, split anywhere") {
  const std::string stream = "13 <13>1 - h a -11 <14>1 - - -\n<13>hello world\n5 <1>ab<13>lf frame\r\n";
  const std::vector<std::string> want = {"<13>1 - h a -", "<14>1 - - -", "<13>hello world", "<1>ab",
                                         "<13>lf frame\r"};
  // Whole, and cut at every position into two pieces.
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    CAPTURE(cut);
    SyslogFramer f(1024);
    std::vector<SyslogFramer::Frame> out;
    f.feed(std::string_view(stream).substr(0, cut), out);
    f.feed(std::string_view(stream).substr(cut), out);
    f.finish(out);
    REQUIRE(out.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(out[i].bytes == want[i]);
  }
  // Byte by byte.
  SyslogFramer f(1024);
  std::vector<SyslogFramer::Frame> out;
  for (char c : stream) f.feed(std::string_view(&c, 1), out);
  f.finish(out);
  REQUIRE(out.size() == want.size());
}

TEST_CASE("syslog framing: oversized frames are refused and skipped, bad counts break the connection") {
  SyslogFramer f(8);
  std::vector<SyslogFramer::Frame> out;
  f.feed("25 <13>1 - - - - - - toolong6 <13>ok", out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].reject == SyslogReject::too_large);
  CHECK(out[0].size == 25);
  CHECK(out[0].bytes.size() == 8);
  CHECK(out[1].bytes == "<13>ok");
  // oversized, split so the rest arrives later
  out.clear();
  f.feed("12 <13>", out);
  f.feed("1234567", out);
  f.feed("86 <2>x", out);
  f.feed("yz", out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].reject == SyslogReject::too_large);
  CHECK(out[1].bytes == "<2>xyz");
  // LF frame over the limit: refused, the rest of the line skipped
  out.clear();
  f.feed("<13>0123456789", out);
  f.feed("abc\n<13>k\n", out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].reject == SyslogReject::too_large);
  CHECK(out[1].bytes == "<13>k");
  // a count that is not followed by a space: framing is lost for good
  SyslogFramer g(1024);
  out.clear();
  g.feed("12x<13>1 - - - - - -", out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].reject == SyslogReject::bad_framing);
  CHECK(g.broken());
  g.feed("5 <1>a", out);
  CHECK(out.size() == 1);
  // a connection closed in the middle of a counted frame
  SyslogFramer h(1024);
  out.clear();
  h.feed("30 <13>1 - - -", out);
  h.finish(out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].reject == SyslogReject::bad_framing);
  // leading zero in the count
  SyslogFramer z(1024);
  out.clear();
  z.feed("05 <1>a", out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].reject == SyslogReject::bad_framing);
}
