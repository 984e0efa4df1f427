// The syslog receiver on real sockets: TCP (both framings), UDP, stitching per (host, app, procid),
// dead letters, backpressure on TCP and counted drops on UDP.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ingest/syslog_server.hpp"
#include "schema/clock.hpp"
#include "schema/metrics.hpp"

using namespace selfheal;
using namespace selfheal::ingest;

namespace {

/// Keeps what it is given; refuses as overloaded while `refuse` is set (nothing taken).
class CollectingSink final : public EventSink {
 public:
  Result<Ticket> submit(Batch&& b) override {
    std::lock_guard lock(mu);
    if (refuse) {
      ++refused;
      return make_error(ErrorCode::overloaded, "queue full");
    }
    for (auto& e : b.events) events.push_back(std::move(e));
    for (auto& d : b.dead_letters) dead.push_back(std::move(d));
    durable = ++next;
    return next;
  }
  Result<void> wait_durable(Ticket, std::chrono::milliseconds) override { return ok(); }
  Ticket durable_ticket() const override {
    std::lock_guard lock(mu);
    return durable;
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return events.size();
  }
  std::size_t dead_count() {
    std::lock_guard lock(mu);
    return dead.size();
  }
  bool wait_for(std::size_t events_n, std::size_t dead_n, int ms = 5000) {
    for (int i = 0; i < ms / 10; ++i) {
      if (count() >= events_n && dead_count() >= dead_n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  void set_refuse(bool r) {
    std::lock_guard lock(mu);
    refuse = r;
  }

  mutable std::mutex mu;
  bool refuse = false;
  int refused = 0;
  Ticket next = 0, durable = 0;
  std::vector<LogEvent> events;
  std::vector<DeadLetter> dead;
};

int tcp_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

void send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    off += static_cast<std::size_t>(n);
  }
}

void send_udp(int port, const std::string& s) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, s.data(), s.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::close(fd);
}

std::string octet(const std::string& m) { return std::to_string(m.size()) + " " + m; }

std::string label(const LogEvent& e, const std::string& k) {
  for (const auto& kv : e.labels)
    if (kv.first == k) return kv.second;
  return "";
}

/// True if `text` (Prometheus exposition) has a sample of `name` whose labels include every one of
/// `labels` (k="v" pairs) with this value.
bool has_sample(const std::string& text, const std::string& name, std::vector<std::string> labels, std::uint64_t value) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind(name + "{", 0) != 0) continue;
    bool all = true;
    for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
    if (all && line.substr(line.rfind(' ') + 1) == std::to_string(value)) return true;
  }
  return false;
}

SyslogConfig config() {
  SyslogConfig c;
  c.tcp_host = "127.0.0.1";
  c.tcp_port = 0;
  c.udp_host = "127.0.0.1";
  c.udp_port = 0;
  c.max_message_bytes = 4096;
  return c;
}

StitchLimits quick_stitch() {
  StitchLimits s;
  s.max_wait_ms = 100;
  return s;
}

}  // namespace

TEST_CASE("syslog server: TCP octet-counting and LF framing, fields mapped, every message once") {
  SystemClock clock;
  Metrics metrics;
  CollectingSink sink;
  SyslogServer server(config(), clock, sink, metrics, quick_stitch());
  REQUIRE(server.start());
  REQUIRE(server.tcp_port() > 0);

  std::string counted, lf;
  for (int i = 0; i < 2000; ++i)
    counted += octet("<11>1 2026-12-04T11:00:00Z web-1 api 42 - [meta@1 region=\"eu\"] request " +
                     std::to_string(i) + " failed");
  for (int i = 0; i < 500; ++i) lf += "<14>Dec  4 11:00:00 db-1 postgres[7]: checkpoint " + std::to_string(i) + "\n";
  int a = tcp_connect(server.tcp_port());
  int b = tcp_connect(server.tcp_port());
  // Sent in odd-sized pieces so frames straddle reads.
  for (std::size_t off = 0; off < counted.size(); off += 997) send_all(a, counted.substr(off, 997));
  send_all(b, lf);
  ::close(a);
  ::close(b);
  REQUIRE(sink.wait_for(2500, 0));
  server.stop();
  REQUIRE(sink.events.size() == 2500);
  CHECK(sink.dead.empty());
  int api = 0, db = 0;
  for (const auto& e : sink.events) {
    if (e.service == "api") {
      CHECK(e.message == "request " + std::to_string(api) + " failed");  // in order per stream
      CHECK(e.host == "web-1");
      CHECK(e.level == Severity::error);
      CHECK(label(e, "sd_meta_1_region") == "eu");
      CHECK(label(e, "procid") == "42");
      CHECK(e.ts == 1796382000000);
      ++api;
    } else {
      CHECK(e.service == "postgres");
      CHECK(e.host == "db-1");
      CHECK_FALSE(e.level.has_value());  // info: the text decides
      CHECK(label(e, "syslog_severity") == "info");
      ++db;
    }
  }
  CHECK(api == 2000);
  CHECK(db == 500);
  CHECK(has_sample(metrics.render(), "selfheal_source_events_accepted_total", {"source=\"syslog\""}, 2500));
}

TEST_CASE("syslog server: a stack trace sent line by line comes back together per (host, app, procid)") {
  SystemClock clock;
  Metrics metrics;
  CollectingSink sink;
  SyslogServer server(config(), clock, sink, metrics, quick_stitch());
  REQUIRE(server.start());
  const char* trace[] = {"java.lang.IllegalStateException: pool exhausted",
                         "\tat com.acme.Pool.take(Pool.java:42)",
                         "\tat com.acme.Api.handle(Api.java:7)"};
  std::string s;
  for (int i = 0; i < 3; ++i) {
    s += octet(std::string("<11>1 - app-1 billing 100 - - ") + trace[i]);
    s += octet("<14>1 - app-1 billing 200 - - other process line " + std::to_string(i));  // another procid
  }
  int fd = tcp_connect(server.tcp_port());
  send_all(fd, s);
  ::close(fd);
  REQUIRE(sink.wait_for(4, 0));
  server.stop();
  REQUIRE(sink.events.size() == 4);
  int traces = 0;
  for (const auto& e : sink.events) {
    if (label(e, "procid") == "100") {
      ++traces;
      CHECK(e.lines == 3);
      CHECK(e.message.find("Pool.java:42") != std::string::npos);
      CHECK(e.message.find("Api.java:7") != std::string::npos);
    }
  }
  CHECK(traces == 1);
}

TEST_CASE("syslog server: UDP datagrams, malformed input is a dead letter with a reason") {
  SystemClock clock;
  Metrics metrics;
  CollectingSink sink;
  SyslogServer server(config(), clock, sink, metrics, quick_stitch());
  REQUIRE(server.start());
  REQUIRE(server.udp_port() > 0);
  send_udp(server.udp_port(), "<13>Dec  4 11:00:00 h1 logger: hello over udp");
  send_udp(server.udp_port(), "not syslog at all");
  send_udp(server.udp_port(), std::string(5000, 'x'));  // over max_message_bytes
  int fd = tcp_connect(server.tcp_port());
  send_all(fd, octet("<13>1 - h a - - - good before") + octet("<13>7 bad version") + octet("<13>1 - h a - - - good after") +
                   "12x garbage");
  ::close(fd);
  REQUIRE(sink.wait_for(3, 4));
  server.stop();
  CHECK(sink.events.size() == 3);
  REQUIRE(sink.dead.size() == 4);
  std::vector<std::string> reasons;
  for (const auto& d : sink.dead) reasons.push_back(d.reason.substr(0, d.reason.find(':')));
  std::sort(reasons.begin(), reasons.end());
  CHECK(reasons == std::vector<std::string>{"bad_framing", "bad_pri", "bad_version", "too_large"});
  for (const auto& d : sink.dead) CHECK(d.source == "syslog");
  const auto text = metrics.render();
  CHECK(has_sample(text, "selfheal_source_dead_letters_total", {"source=\"syslog\""}, 4));
  CHECK(has_sample(text, "selfheal_source_events_rejected_total", {"source=\"syslog\"", "reason=\"bad_pri\""}, 1));
}

TEST_CASE("syslog server: overload stops TCP reads (nothing lost) and counts dropped UDP datagrams") {
  SystemClock clock;
  Metrics metrics;
  CollectingSink sink;
  SyslogServer server(config(), clock, sink, metrics, quick_stitch());
  REQUIRE(server.start());
  sink.set_refuse(true);
  int fd = tcp_connect(server.tcp_port());
  std::string first;
  for (int i = 0; i < 100; ++i) first += octet("<13>1 - h a - - - line " + std::to_string(i));
  send_all(fd, first);
  // The first read is parsed, refused and held; after that the connection is not read.
  for (int i = 0; i < 200 && sink.refused == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(sink.refused > 0);
  CHECK_FALSE(server.health().ok);
  std::string more;
  for (int i = 100; i < 200; ++i) more += octet("<13>1 - h a - - - line " + std::to_string(i));
  send_all(fd, more);
  send_udp(server.udp_port(), "<13>1 - h u - - - dropped while overloaded");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(sink.count() == 0);
  CHECK(has_sample(metrics.render(), "selfheal_source_events_rejected_total",
                   {"source=\"syslog\"", "reason=\"overloaded\""}, 1));
  sink.set_refuse(false);
  ::close(fd);
  REQUIRE(sink.wait_for(200, 0));
  CHECK(server.health().ok);
  server.stop();
  CHECK(sink.events.size() == 200);
  for (std::size_t i = 0; i < sink.events.size(); ++i) CHECK(sink.events[i].message == "line " + std::to_string(i));
}
