#include "ingest/syslog_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <list>
#include <map>

#include "fingerprint/stitcher.hpp"
#include "ingest/event_fields.hpp"
#include "ingest/source_metrics.hpp"
#include "ingest/syslog_parse.hpp"

namespace selfheal::ingest {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxReadPerTurn = 1024 * 1024;  // per connection per loop turn (fairness)
constexpr int kMaxDatagramsPerTurn = 1024;

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd = o.fd;
      o.fd = -1;
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// Binds (and listens, for TCP). The receive buffer is set before listen() so accepted connections
// inherit it (and the window scale that goes with it).
Result<Fd> bind_socket(const std::string& host, int port, int type, int& bound_port, std::int64_t rcvbuf) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = type;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string p = std::to_string(port);
  if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), p.c_str(), &hints, &res); rc != 0)
    return make_error(ErrorCode::unavailable, "syslog: cannot resolve " + host + ": " + gai_strerror(rc));
  std::string last = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    Fd s(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (s.fd < 0) continue;
    int one = 1;
    ::setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (rcvbuf > 0) {
      const int size = static_cast<int>(std::min<std::int64_t>(rcvbuf, 1 << 30));
      ::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    if (::bind(s.fd, ai->ai_addr, ai->ai_addrlen) != 0 || (type == SOCK_STREAM && ::listen(s.fd, 128) != 0)) {
      last = std::strerror(errno);
      continue;
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&ss), &len);
    bound_port = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                          : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    ::freeaddrinfo(res);
    return s;
  }
  ::freeaddrinfo(res);
  return make_error(ErrorCode::unavailable, "syslog: cannot listen on " + host + ":" + p + ": " + last);
}

std::string peer_name(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  else if (ss.ss_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
  return buf;
}

// What a stitched event takes from the first message of its lines.
struct LineMeta {
  std::string text;  // the message as fed to the stitcher, to find the event's first line
  UnixMs ts = 0;
  Labels labels;
  int severity = 5;
};

}  // namespace

struct SyslogServer::Impl {
  SyslogConfig cfg;
  const Clock& clock;
  EventSink& sink;
  SourceMetrics metrics;
  Metrics& registry;
  StitchLimits stitch_limits;
  fingerprint::Stitcher stitcher;
  Fd tcp, udp, wake_r, wake_w;

  struct Conn {
    Fd fd;
    std::string peer;
    SyslogFramer framer;
  };
  std::list<Conn> conns;
  std::map<std::string, std::deque<LineMeta>, std::less<>> metas;  // per stitch stream

  Batch batch;          // being filled
  Batch pending;        // refused as overloaded, retried before reading TCP again
  bool has_pending = false;
  std::deque<std::pair<EventSink::Ticket, std::uint64_t>> in_flight;  // ticket, events
  std::uint32_t udp_dropped_seen = 0;  // SO_RXQ_OVFL counter last read

  std::thread thread;
  std::atomic<bool> running{false};
  std::atomic<bool> paused{false};
  std::atomic<bool> alive{false};
  Counter& connections;
  Counter& udp_overflow;

  Impl(SyslogConfig c, const Clock& clk, EventSink& s, Metrics& m, StitchLimits st)
      : cfg(std::move(c)),
        clock(clk),
        sink(s),
        metrics(m, cfg.name),
        registry(m),
        stitch_limits(st),
        stitcher(stitch_options(st)),
        connections(m.counter("selfheal_syslog_connections_total", "TCP connections a syslog source accepted.",
                              {{"source", cfg.name}})),
        udp_overflow(m.counter("selfheal_syslog_udp_kernel_drops_total",
                               "Datagrams the kernel dropped because the syslog UDP socket buffer was full.",
                               {{"source", cfg.name}})) {}

  static fingerprint::StitchOptions stitch_options(const StitchLimits& st) {
    fingerprint::StitchOptions so;
    so.max_lines = st.max_lines;
    so.max_bytes = st.max_bytes;
    so.max_wait_ms = st.max_wait_ms;
    so.entries = true;  // each syslog message is one entry; messages join only on trace shapes
    return so;
  }

  void dead_letter(std::string_view bytes, std::uint64_t size, SyslogReject code, const std::string& why,
                   const std::string& peer) {
    DeadLetter d;
    d.ts = clock.now_ms();
    d.source = cfg.name;
    d.reason = std::string(to_string(code)) + ": " + why + (peer.empty() ? "" : " (from " + peer + ")");
    d.content_type = "application/syslog";
    d.payload.assign(bytes.substr(0, static_cast<std::size_t>(cfg.max_message_bytes)));
    d.size = size;
    batch.dead_letters.push_back(std::move(d));
    metrics.rejected(to_string(code));
  }

  void make_event(fingerprint::StitchedEvent&& ev) {
    // The event's first line is the oldest line of its stream the stitcher still held: normally the
    // queue's front; lines the stitcher dropped (blank ones) are skipped by comparing text.
    auto& q = metas[ev.stream];
    const LineMeta* meta = nullptr;
    LineMeta keep;
    std::size_t at = 0;
    while (at < q.size()) {
      const std::size_t n = std::min(q[at].text.size(), ev.text.size());
      if (ev.text.compare(0, n, q[at].text, 0, n) == 0) break;
      ++at;
    }
    if (at == q.size()) at = 0;  // no line matched: take the oldest
    if (!q.empty()) {
      keep = std::move(q[at]);
      q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(at) + 1);
      meta = &keep;
    }
    if (q.empty()) metas.erase(ev.stream);
    LogEvent& e = batch.events.emplace_back();
    e.ts = meta && meta->ts ? meta->ts : ev.ts_ms;
    e.message = std::move(ev.text);
    e.source = cfg.name;
    e.lines = static_cast<std::uint32_t>(ev.lines);
    e.truncated = ev.truncated;
    if (meta) {
      e.labels = meta->labels;
      // notice and info are what most senders put on everything (logger, imfile): the text decides.
      if (meta->severity <= 4 || meta->severity == 7) e.level = to_level(meta->severity);
    }
    extract_fields(e);
  }

  void take_stitched(std::vector<fingerprint::StitchedEvent>& ready) {
    for (auto& ev : ready) make_event(std::move(ev));
    ready.clear();
  }

  void on_message(std::string_view bytes, const std::string& peer) {
    const UnixMs now = clock.now_ms();
    auto parsed = parse_syslog(bytes, now);
    if (!parsed.ok()) {
      dead_letter(bytes, bytes.size(), parsed.reject, parsed.reason, peer);
      return;
    }
    SyslogMessage& m = parsed.message;
    if (m.host.empty()) m.host = peer;
    LineMeta meta;
    meta.ts = m.ts ? m.ts : now;
    meta.labels = syslog_labels(m, static_cast<std::size_t>(std::max<std::int64_t>(cfg.max_sd_labels, 0)));
    std::sort(meta.labels.begin(), meta.labels.end());
    meta.severity = m.severity;
    std::string_view msg = m.msg;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.remove_suffix(1);
    if (!cfg.multiline || msg.find('\n') != std::string_view::npos) {
      // Already a whole event (a sender that keeps newlines) or no stitching: one event as is.
      const std::string stream = m.host + '\x1f' + m.app + '\x1f' + m.procid;
      std::vector<fingerprint::StitchedEvent> ready;
      if (cfg.multiline) stitcher.flush_all(ready);  // keep line order: close what the streams hold
      take_stitched(ready);
      fingerprint::StitchedEvent ev;
      ev.stream = stream;
      ev.text.assign(msg);
      ev.ts_ms = meta.ts;
      ev.lines = static_cast<std::size_t>(1 + std::count(msg.begin(), msg.end(), '\n'));
      meta.text = ev.text;
      metas[stream].push_back(std::move(meta));
      make_event(std::move(ev));
      return;
    }
    std::string stream = m.host + '\x1f' + m.app + '\x1f' + m.procid;
    meta.text.assign(msg);
    const UnixMs stitch_ts = std::min(meta.ts, now);  // a sender clock ahead must not hold events open
    metas[stream].push_back(std::move(meta));
    std::vector<fingerprint::StitchedEvent> ready;
    stitcher.push(stream, msg, stitch_ts, ready);
    take_stitched(ready);
  }

  void on_frames(std::vector<SyslogFramer::Frame>& frames, const std::string& peer) {
    for (auto& f : frames) {
      if (f.reject != SyslogReject::none) {
        dead_letter(f.bytes, f.size, f.reject,
                    f.reject == SyslogReject::too_large
                        ? "message of " + std::to_string(f.size) + " bytes exceeds max_message_bytes " +
                              std::to_string(cfg.max_message_bytes)
                        : "octet count unreadable; connection closed",
                    peer);
        continue;
      }
      on_message(f.bytes, peer);
    }
    frames.clear();
  }

  // Submits what was built. False when the pipeline is overloaded (the batch is kept in `pending`).
  bool submit(Batch&& b) {
    if (b.empty()) return true;
    const auto n = b.events.size();
    const auto dead = b.dead_letters.size();
    auto t = sink.submit(std::move(b));
    if (!t) {
      // submit() takes nothing on overload: `b` is intact.
      pending = std::move(b);
      has_pending = true;
      paused = true;
      return false;
    }
    metrics.received.inc(n);
    metrics.dead_letters.inc(dead);
    in_flight.emplace_back(*t, n);
    return true;
  }

  void settle_accepted() {
    const auto durable = sink.durable_ticket();
    while (!in_flight.empty() && in_flight.front().first <= durable) {
      metrics.accepted.inc(in_flight.front().second);
      in_flight.pop_front();
    }
  }

  void flush_batch(bool force) {
    if (batch.empty() || has_pending) return;  // one refused batch at a time: it goes first
    if (!force && batch.events.size() + batch.dead_letters.size() < static_cast<std::size_t>(cfg.max_batch_events)) return;
    Batch b = std::move(batch);
    batch = Batch{};
    submit(std::move(b));
  }

  void read_conn(Conn& c, bool& closed) {
    std::vector<SyslogFramer::Frame> frames;
    char buf[kReadChunk];
    std::size_t total = 0;
    while (total < kMaxReadPerTurn) {
      ssize_t n = ::recv(c.fd.fd, buf, sizeof buf, 0);
      if (n > 0) {
        metrics.bytes.inc(static_cast<std::uint64_t>(n));
        total += static_cast<std::size_t>(n);
        c.framer.feed(std::string_view(buf, static_cast<std::size_t>(n)), frames);
        on_frames(frames, c.peer);
        if (c.framer.broken()) {
          closed = true;
          return;
        }
        continue;
      }
      if (n == 0) {  // orderly close: an unterminated last line is still a message
        c.framer.finish(frames);
        on_frames(frames, c.peer);
        closed = true;
        return;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) closed = true;
      return;
    }
  }

  void read_udp(bool drop) {
    char buf[65536];
    char ctrl[CMSG_SPACE(sizeof(std::uint32_t))];
    for (int i = 0; i < kMaxDatagramsPerTurn; ++i) {
      sockaddr_storage from{};
      iovec iov{buf, sizeof buf};
      msghdr mh{};
      mh.msg_name = &from;
      mh.msg_namelen = sizeof from;
      mh.msg_iov = &iov;
      mh.msg_iovlen = 1;
      mh.msg_control = ctrl;
      mh.msg_controllen = sizeof ctrl;
      ssize_t n = ::recvmsg(udp.fd, &mh, MSG_TRUNC);
      if (n < 0) return;
      for (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
          std::uint32_t dropped = 0;
          std::memcpy(&dropped, CMSG_DATA(cm), sizeof dropped);
          if (dropped > udp_dropped_seen) udp_overflow.inc(dropped - udp_dropped_seen);
          udp_dropped_seen = dropped;
        }
      }
      metrics.bytes.inc(static_cast<std::uint64_t>(n));
      if (drop) {  // the pipeline refuses: UDP cannot push back, so this datagram is lost (counted)
        metrics.rejected("overloaded");
        continue;
      }
      const std::string peer = peer_name(from);
      const auto len = static_cast<std::size_t>(n);
      if (len > sizeof buf || len > static_cast<std::size_t>(cfg.max_message_bytes)) {
        dead_letter(std::string_view(buf, std::min(len, sizeof buf)), len, SyslogReject::too_large,
                    "datagram of " + std::to_string(len) + " bytes exceeds max_message_bytes " +
                        std::to_string(cfg.max_message_bytes),
                    peer);
        continue;
      }
      on_message(std::string_view(buf, len), peer);
    }
  }

  void accept_conns() {
    while (conns.size() < static_cast<std::size_t>(cfg.max_connections)) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      int fd = ::accept4(tcp.fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      conns.push_back(Conn{Fd(fd), peer_name(ss), SyslogFramer(static_cast<std::size_t>(cfg.max_message_bytes))});
      connections.inc();
    }
  }

  void loop() {
    alive = true;
    std::vector<pollfd> pfds;
    std::vector<std::list<Conn>::iterator> which;
    std::vector<fingerprint::StitchedEvent> ready;
    while (running) {
      settle_accepted();
      if (has_pending) {
        Batch b = std::move(pending);
        pending = Batch{};
        has_pending = false;
        if (submit(std::move(b))) paused = false;
      }
      const bool read_tcp = !has_pending;
      const bool accepting = read_tcp && conns.size() < static_cast<std::size_t>(cfg.max_connections);
      pfds.clear();
      which.clear();
      pfds.push_back({wake_r.fd, POLLIN, 0});
      if (udp.fd >= 0) pfds.push_back({udp.fd, POLLIN, 0});
      const std::size_t first_conn = pfds.size() + (tcp.fd >= 0 && accepting ? 1 : 0);
      if (tcp.fd >= 0 && accepting) pfds.push_back({tcp.fd, POLLIN, 0});
      if (read_tcp) {
        for (auto it = conns.begin(); it != conns.end(); ++it) {
          pfds.push_back({it->fd.fd, POLLIN, 0});
          which.push_back(it);
        }
      }
      const int timeout = has_pending ? 20 : (stitcher.pending() > 0 || !batch.empty() || !in_flight.empty() ? 50 : 500);
      int rc = ::poll(pfds.data(), pfds.size(), timeout);
      if (rc < 0 && errno != EINTR) break;
      if (rc > 0) {
        if (pfds[0].revents & POLLIN) {
          char b[64];
          while (::read(wake_r.fd, b, sizeof b) > 0) {
          }
        }
        if (udp.fd >= 0 && (pfds[1].revents & POLLIN)) read_udp(has_pending);
        if (tcp.fd >= 0 && accepting && (pfds[first_conn - 1].revents & POLLIN)) accept_conns();
        for (std::size_t i = 0; i < which.size() && !has_pending; ++i) {
          if (!(pfds[first_conn + i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
          bool closed = false;
          read_conn(*which[i], closed);
          if (closed) conns.erase(which[i]);
          flush_batch(false);
        }
      }
      stitcher.flush_expired(clock.now_ms(), ready);
      take_stitched(ready);
      flush_batch(true);
    }
    alive = false;
  }
};

SyslogServer::SyslogServer(SyslogConfig cfg, const Clock& clock, EventSink& sink, Metrics& metrics,
                           StitchLimits stitch)
    : impl_(std::make_unique<Impl>(std::move(cfg), clock, sink, metrics, stitch)) {}

SyslogServer::~SyslogServer() { stop(std::chrono::milliseconds(0)); }

Result<void> SyslogServer::start() {
  Impl& s = *impl_;
  if (s.running) return make_error(ErrorCode::conflict, "syslog source " + s.cfg.name + " already started");
  if (s.cfg.tcp_port >= 0) {
    auto fd = bind_socket(s.cfg.tcp_host, s.cfg.tcp_port, SOCK_STREAM, tcp_port_, s.cfg.tcp_receive_buffer_bytes);
    if (!fd) return fd.error();
    s.tcp = std::move(*fd);
  }
  if (s.cfg.udp_port >= 0) {
    auto fd = bind_socket(s.cfg.udp_host, s.cfg.udp_port, SOCK_DGRAM, udp_port_, s.cfg.udp_receive_buffer_bytes);
    if (!fd) return fd.error();
    s.udp = std::move(*fd);
    int one = 1;
    ::setsockopt(s.udp.fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  }
  int p[2];
  if (::pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) return make_error(ErrorCode::unavailable, "syslog: pipe failed");
  s.wake_r = Fd(p[0]);
  s.wake_w = Fd(p[1]);
  s.running = true;
  s.thread = std::thread([&s] { s.loop(); });
  return ok();
}

void SyslogServer::stop(std::chrono::milliseconds drain_timeout) {
  Impl& s = *impl_;
  if (!s.thread.joinable()) return;
  s.running = false;
  if (s.wake_w.fd >= 0) {
    char c = 1;
    [[maybe_unused]] auto n = ::write(s.wake_w.fd, &c, 1);
  }
  s.thread.join();
  s.tcp.reset();
  s.udp.reset();
  // What was read is kept: connections' last unterminated lines, open multiline events, the batch.
  std::vector<SyslogFramer::Frame> frames;
  for (auto& c : s.conns) {
    c.framer.finish(frames);
    s.on_frames(frames, c.peer);
  }
  s.conns.clear();
  std::vector<fingerprint::StitchedEvent> ready;
  s.stitcher.flush_all(ready);
  s.take_stitched(ready);
  const auto deadline = std::chrono::steady_clock::now() + drain_timeout;
  auto submit_all = [&] {
    if (s.has_pending) {
      Batch b = std::move(s.pending);
      s.pending = Batch{};
      s.has_pending = false;
      if (!s.submit(std::move(b))) return false;
    }
    Batch b = std::move(s.batch);
    s.batch = Batch{};
    return s.submit(std::move(b));
  };
  while (!submit_all() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!s.in_flight.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() > 0) (void)s.sink.wait_durable(s.in_flight.back().first, left);
  }
  s.settle_accepted();
}

SourceHealth SyslogServer::health() const {
  SourceHealth h;
  if (!impl_->alive) {
    h.ok = false;
    h.detail = "syslog receiver not running";
  } else if (impl_->paused) {
    h.ok = false;
    h.detail = "pipeline overloaded: TCP reading paused, UDP datagrams dropped";
  }
  return h;
}

}  // namespace selfheal::ingest
