#pragma once
// Syslog receiver: UDP datagrams and TCP connections (RFC 6587 octet-counting or LF framing) parsed
// by ingest/syslog_parse.hpp into events for an EventSink.
//
//   one thread: poll(listeners, connections) ─► read ─► frame ─► parse ─► stitch per
//               (host, app-name, procid) ─► Batch ─► sink.submit
//   overloaded: the batch is kept and retried; meanwhile no TCP connection is read (the kernel's
//               window fills and the sender's queue holds the rest: backpressure), UDP datagrams
//               that arrive are read and dropped, counted as rejected{reason="overloaded"}
//   bad input : each refused message is a DeadLetter (reason "<code>: <why>", the message's bytes)
//
// Durability: syslog has no application-level acknowledgement. What was read is submitted and made
// durable by the pipeline's next commit; a crash (kill -9) loses what was read but not yet durable,
// plus what sat in the kernel's socket buffers. ingest/README.md "Syslog" says what a sender can
// rely on.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ingest/config.hpp"
#include "ingest/source.hpp"
#include "schema/clock.hpp"
#include "schema/metrics.hpp"

namespace selfheal::ingest {

class SyslogServer {
 public:
  SyslogServer(SyslogConfig cfg, const Clock& clock, EventSink& sink, Metrics& metrics, StitchLimits stitch);
  ~SyslogServer();
  SyslogServer(const SyslogServer&) = delete;
  SyslogServer& operator=(const SyslogServer&) = delete;

  /// Binds the configured listeners and starts the thread. Errors: unavailable (bind failed).
  Result<void> start();
  /// Stops reading, closes every socket, flushes open multiline events and waits (up to
  /// `drain_timeout`) until everything submitted is durable. Idempotent.
  void stop(std::chrono::milliseconds drain_timeout = std::chrono::milliseconds(5'000));
  /// Bound ports (after start; -1 when that listener is off).
  int tcp_port() const { return tcp_port_; }
  int udp_port() const { return udp_port_; }
  /// Not ok while the pipeline refuses batches (TCP reading paused) or the thread is not running.
  SourceHealth health() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int tcp_port_ = -1;
  int udp_port_ = -1;
};

}  // namespace selfheal::ingest
