#pragma once
// Syslog without sockets: one message (RFC 5424 or RFC 3164) in, its parts or a typed rejection out;
// and the RFC 6587 framer that cuts a TCP byte stream into messages (octet-counting "LEN SP MSG" or
// LF-terminated, decided at the start of every frame: a frame starting with a digit is counted).
// ingest/syslog_server.hpp serves both on UDP and TCP sockets.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "schema/model.hpp"

namespace selfheal::ingest {

/// Bounded reason codes of a refused message (the `reason` label of selfheal_source_events_rejected_total
/// and the first word of the dead letter's reason).
enum class SyslogReject {
  none,
  empty,             // nothing after trimming the frame
  bad_pri,           // no "<N>" with 0 <= N <= 191 at the start
  bad_version,       // RFC 5424 VERSION not 1
  bad_header,        // RFC 5424 header field missing, too long or not printable ASCII
  bad_timestamp,     // RFC 5424 TIMESTAMP not RFC 3339 (or "-")
  bad_structured_data,
  bad_framing,       // octet count unreadable (TCP): the rest of the connection cannot be framed
  too_large,         // message over max_message_bytes
  nul_byte,          // a NUL in the message (binary data on a syslog port)
};
std::string_view to_string(SyslogReject r);

struct SdParam {
  std::string id;     // SD-ID, e.g. "exampleSDID@32473"
  std::string name;   // PARAM-NAME
  std::string value;  // PARAM-VALUE with \" \\ \] unescaped
};

struct SyslogMessage {
  bool rfc5424 = false;
  int facility = 1;  // user
  int severity = 5;  // notice
  UnixMs ts = 0;     // 0: the message carried no usable time
  std::string host;    // "" when absent ("-" or an RFC 3164 message without one)
  std::string app;     // APP-NAME or the RFC 3164 TAG
  std::string procid;  // PROCID or the TAG's [pid]
  std::string msgid;
  std::vector<SdParam> sd;
  std::string msg;  // the free text (UTF-8 BOM removed, trailing CR/LF removed)
};

struct SyslogParse {
  SyslogReject reject = SyslogReject::none;
  std::string reason;  // human text when rejected
  SyslogMessage message;
  bool ok() const { return reject == SyslogReject::none; }
};

/// Parses one message. `now_ms` gives the year of an RFC 3164 time ("Mmm dd hh:mm:ss", read as UTC;
/// a time more than a day ahead of now is taken as last year). Never throws.
SyslogParse parse_syslog(std::string_view frame, UnixMs now_ms);

/// Facility and severity keywords (RFC 5424 §6.2.1): "kern", "user", ... "local7"; "emerg" ... "debug".
std::string_view facility_name(int facility);
std::string_view severity_name(int severity);
/// Syslog severity 0-7 to the project's level: 0-2 critical, 3 error, 4 warning, 5-6 info, 7 debug.
Severity to_level(int severity);

/// The labels of a message: host, app, procid, msgid (when present), syslog_facility, syslog_severity
/// (keyword names; not `severity`, which ingest::extract_fields would read as the level), and the
/// structured data as sd_<id>_<name> (characters outside [A-Za-z0-9_] become '_'; at most
/// `max_sd_labels` of them, first come first kept).
Labels syslog_labels(const SyslogMessage& m, std::size_t max_sd_labels);

/// RFC 6587 framer of one TCP connection. Feed it bytes as they arrive; it hands out whole frames.
class SyslogFramer {
 public:
  explicit SyslogFramer(std::size_t max_message_bytes) : max_(max_message_bytes) {}

  struct Frame {
    std::string bytes;        // the message (octet-counted: exactly LEN bytes; LF: without the LF)
    SyslogReject reject = SyslogReject::none;  // too_large or bad_framing: `bytes` holds the head
    std::uint64_t size = 0;   // the size the sender declared or sent
  };

  /// Appends the frames completed by `data` to `out`. After a bad_framing frame the framer is
  /// broken(): the connection should be closed (nothing after it can be framed reliably).
  void feed(std::string_view data, std::vector<Frame>& out);
  /// End of stream: an unterminated LF frame is a message; a partial octet-counted frame is
  /// bad_framing (the sender stopped in the middle). Appends at most one frame.
  void finish(std::vector<Frame>& out);
  bool broken() const { return broken_; }
  /// Bytes held for an incomplete frame.
  std::size_t buffered() const { return buf_.size(); }

 private:
  std::size_t max_;
  std::string buf_;
  std::size_t skip_ = 0;        // octet-counted frame over the limit: bytes still to discard
  bool skipping_lf_ = false;    // LF frame over the limit: discard up to the next LF
  bool broken_ = false;
};

}  // namespace selfheal::ingest
