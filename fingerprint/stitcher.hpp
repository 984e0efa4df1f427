#pragma once
// Multiline stitcher: turns a stream of lines into events, per stream key, so a stack trace
// that arrives one line per entry becomes one event. NOT thread-safe; one per source.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace selfheal::fingerprint {

struct StitchOptions {
  std::size_t max_lines = 500;
  std::int64_t max_wait_ms = 3000;
  std::size_t max_bytes = 256 * 1024;
  // A stream with no open event and no line for this long is forgotten by flush_expired (what it
  // learned, e.g. header mode, is relearned if it comes back): pods and partitions come and go.
  std::int64_t forget_idle_ms = 3'600'000;
  /// Each push is one entry of a shipper (a Loki push entry, a Kafka record): an entry is never
  /// glued to the one before it unless it has a trace shape (frame, Caused by, traceback body), so
  /// the stream's headers play no part. Off: a byte stream (file, stdin), where a stream with
  /// timestamped headers is cut header to header.
  bool entries = false;
  /// Lines kept back after a header-less exception line until a frame shows it opens a trace;
  /// past it, or at any other decisive line shape, each of them is an event of its own. So one
  /// push may complete several events of one stream (all in line order).
  std::size_t max_held_lines = 16;
};

struct StitchedEvent {
  std::string stream;
  std::string text;
  std::int64_t ts_ms = 0;  ///< first line's timestamp
  std::size_t lines = 0;
  bool truncated = false;
};

/// How a line relates to the event before it (pure; exposed for tests).
enum class LineRole {
  header,        ///< starts with a timestamp: always starts a new event
  continuation,  ///< a stack-trace continuation shape (frame, Caused by, ... N more, ...)
  trace_start,   ///< starts a trace (Traceback, panic:, Exception in thread, Type: msg)
  blank,
  other,
};
LineRole classify_line(std::string_view line);

class Stitcher {
 public:
  explicit Stitcher(StitchOptions opts = {});
  /// Feeds one line (without its newline). Completed events are appended to out.
  void push(std::string_view stream, std::string_view line, std::int64_t ts_ms,
            std::vector<StitchedEvent>& out);
  /// Emits events whose last line arrived max_wait_ms or more before now_ms.
  void flush_expired(std::int64_t now_ms, std::vector<StitchedEvent>& out);
  void flush_all(std::vector<StitchedEvent>& out);
  /// Number of streams with an open event.
  std::size_t pending() const;
  /// Number of streams remembered (open or idle).
  std::size_t streams() const { return streams_.size(); }

 private:
  struct Open {
    StitchedEvent event;
    std::int64_t last_ts_ms = 0;
    std::size_t held_blanks = 0;  // blank lines kept back until we know the event continues
    bool has_header = false;      // event began with a timestamped header line
    bool python = false;          // inside a Python traceback (ends at the exception line)
    bool expect_trace = false;    // last line announced a chained traceback
    bool go = false;              // inside a Go goroutine dump
    bool exception_head = false;  // began with an exception line and no frame has come yet
    bool trace = false;           // holds a trace shape (exception line, frame, Caused by...)
    // Lines after a header-less exception line ("Error: x"), kept back until the next line
    // decides: a frame joins them all to the event, anything else makes each its own event.
    // Blank lines are held as empty strings. Invariant: empty unless `holding`.
    std::vector<std::string> held;
    std::vector<std::int64_t> held_ts;
    bool holding = false;
  };
  struct StreamState {
    Open open;
    bool active = false;
    bool seen_header = false;     // once a stream shows headers, use header-to-header mode
    bool seen_nul = false;        // once a stream shows NUL separators, only they split events
    std::int64_t last_line_ms = 0;  // event time of the stream's latest line
  };
  void emit(StreamState& st, std::vector<StitchedEvent>& out);
  void start(StreamState& st, std::string_view stream, std::string_view line, std::int64_t ts,
             bool header);
  void append(StreamState& st, std::string_view line);
  void join_held(StreamState& st);
  void split_held(StreamState& st, std::vector<StitchedEvent>& out);
  void hold(StreamState& st, std::string_view line, std::int64_t ts);
  static void note_appended(Open& o, std::string_view line, LineRole role);

  StitchOptions opts_;
  std::map<std::string, StreamState, std::less<>> streams_;  // Invariant: active ones counted
  std::size_t active_ = 0;
};

}  // namespace selfheal::fingerprint
