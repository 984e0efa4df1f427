#include "fingerprint/stitcher.hpp"

#include <algorithm>

#include "fingerprint/normalize.hpp"
#include "fingerprint/trace_shape.hpp"

namespace selfheal::fingerprint {
namespace {

using sv = std::string_view;
bool starts_with(sv s, sv p) { return s.substr(0, p.size()) == p; }

sv trim(sv s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

LineRole classify_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  sv s = trim(line);
  if (s.empty()) return LineRole::blank;
  if (starts_with_timestamp(line)) return LineRole::header;
  bool indented = line[0] == ' ' || line[0] == '\t';
  // The line shapes are the table in fingerprint/trace_shape.cpp.
  if (match_marker(s, TraceMark::link) != nullptr || is_elided_frames(s)) return LineRole::continuation;
  if (indented) return LineRole::continuation;  // frames: \tat, "  File", "    at", "\tfrom"
  if (match_marker(s, TraceMark::start) != nullptr || is_exception_line(s) || is_ruby_head_line(s))
    return LineRole::trace_start;
  if (is_numbered_frame(s)) return LineRole::continuation;
  return LineRole::other;
}

Stitcher::Stitcher(StitchOptions opts) : opts_(opts) {
  if (opts_.max_lines == 0) opts_.max_lines = 1;
}

void Stitcher::emit(StreamState& st, std::vector<StitchedEvent>& out) {
  if (!st.active) return;
  if (st.open.holding) {
    split_held(st, out);
    return;
  }
  out.push_back(std::move(st.open.event));
  st.open = Open{};
  st.active = false;
  --active_;
}

void Stitcher::hold(StreamState& st, std::string_view line, std::int64_t ts) {
  Open& o = st.open;
  o.holding = true;
  o.held.emplace_back(line.substr(0, opts_.max_bytes));
  o.held_ts.push_back(ts);
  o.last_ts_ms = ts;
}

void Stitcher::join_held(StreamState& st) {
  Open& o = st.open;
  std::vector<std::string> held = std::move(o.held);
  o.held.clear();
  o.held_ts.clear();
  o.holding = false;
  for (const auto& line : held) {
    if (o.event.lines + o.held_blanks >= opts_.max_lines || o.event.truncated) {
      o.event.truncated = true;
      o.held_blanks = 0;
      return;
    }
    if (line.empty()) {
      ++o.held_blanks;  // written by the next append, like any blank line inside an event
      continue;
    }
    append(st, line);
    note_appended(o, line, classify_line(line));
  }
}

void Stitcher::split_held(StreamState& st, std::vector<StitchedEvent>& out) {
  Open& o = st.open;
  std::vector<std::string> held = std::move(o.held);
  std::vector<std::int64_t> held_ts = std::move(o.held_ts);
  o.held.clear();
  o.holding = false;
  std::string stream = o.event.stream;
  emit(st, out);
  for (std::size_t i = 0; i < held.size(); ++i) {
    if (held[i].empty()) continue;  // blank lines between events are dropped
    StitchedEvent& e = out.emplace_back();
    e.stream = stream;
    e.text = std::move(held[i]);
    e.ts_ms = held_ts[i];
    e.lines = 1;
  }
}

void Stitcher::start(StreamState& st, std::string_view stream, std::string_view line,
                     std::int64_t ts, bool header) {
  st.open = Open{};
  st.open.event.stream.assign(stream);
  st.open.event.ts_ms = ts;
  st.open.last_ts_ms = ts;
  st.open.has_header = header;
  st.active = true;
  ++active_;
  append(st, line);
}

void Stitcher::append(StreamState& st, std::string_view line) {
  auto& ev = st.open.event;
  // Blank lines held back belong to the event now that it continues.
  for (; st.open.held_blanks > 0; --st.open.held_blanks) {
    if (ev.text.size() + 1 > opts_.max_bytes) {
      ev.truncated = true;
      break;
    }
    ev.text.push_back('\n');
    ++ev.lines;
  }
  st.open.held_blanks = 0;
  std::size_t need = (ev.lines > 0 ? 1 : 0) + line.size();
  if (ev.text.size() + need > opts_.max_bytes) {
    ev.truncated = true;
    std::size_t room = opts_.max_bytes > ev.text.size() ? opts_.max_bytes - ev.text.size() : 0;
    if (ev.lines > 0 && room > 0) {
      ev.text.push_back('\n');
      --room;
    }
    ev.text.append(line.substr(0, room));
  } else {
    if (ev.lines > 0) ev.text.push_back('\n');
    ev.text.append(line);
  }
  ++ev.lines;
}

void Stitcher::push(std::string_view stream, std::string_view line, std::int64_t ts_ms,
                    std::vector<StitchedEvent>& out) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) it = streams_.emplace(std::string(stream), StreamState{}).first;
  StreamState& st = it->second;
  st.last_line_ms = std::max(st.last_line_ms, ts_ms);

  // A NUL byte at the start of a line is a record separator (e.g. from shippers).
  bool nul_sep = false;
  while (!line.empty() && line.front() == '\0') {
    line.remove_prefix(1);
    nul_sep = true;
  }
  if (nul_sep) {
    emit(st, out);
    st.seen_nul = true;
  }

  const LineRole role = classify_line(line);
  if (role == LineRole::header && !opts_.entries) st.seen_header = true;
  // Indented but not shaped like a frame: continues only an event that already is a trace.
  const bool weak = role == LineRole::continuation && (line[0] == ' ' || line[0] == '\t') &&
                    !is_frame_shaped(trim(line)) && classify_line(trim(line)) != LineRole::continuation;

  // Lines kept back after a header-less exception line: a frame shows a trace follows (all of
  // them join the event), any other decisive shape makes each of them an event of its own.
  if (st.active && st.open.holding) {
    switch (role) {
      case LineRole::continuation:
        if (!weak) {
          join_held(st);
          break;
        }
        [[fallthrough]];  // an indented plain line does not show a trace follows
      case LineRole::blank:
      case LineRole::other:
        if (st.open.held.size() < opts_.max_held_lines) {
          hold(st, role == LineRole::blank ? std::string_view() : line, ts_ms);
          return;
        }
        split_held(st, out);
        break;
      case LineRole::header:
      case LineRole::trace_start: split_held(st, out); break;
    }
  }

  if (st.active) {
    Open& o = st.open;
    const bool limit = o.event.lines + o.held_blanks >= opts_.max_lines || o.event.truncated;
    const bool nul_mode = st.seen_nul && !nul_sep;
    const bool header_mode = !opts_.entries && st.seen_header && o.has_header;
    bool continues = false;
    switch (role) {
      case LineRole::header: continues = false; break;
      case LineRole::blank:
        // Held back: blank lines belong to the event only if it goes on.
        if (!limit) ++o.held_blanks;
        o.last_ts_ms = ts_ms;
        return;
      case LineRole::continuation:
        continues = !weak || o.trace || o.python || o.go || header_mode || nul_mode;
        break;
      case LineRole::trace_start:
        // A chained traceback follows "During handling..."; inside a Python traceback the
        // exception line closes it.
        continues = nul_mode || o.expect_trace || o.python;
        if (!continues && (header_mode || (opts_.entries && o.has_header && o.event.lines == 1)) && !limit) {
          // "Error: x" after a header line is that event's trace only if frames follow.
          hold(st, line, ts_ms);
          return;
        }
        break;
      case LineRole::other:
        continues = nul_mode || header_mode || (o.python && o.held_blanks == 0) ||
                    (o.go && is_go_function_line(trim(line)));
        if (!continues && o.exception_head && !limit) {
          // Maybe a multi-line exception message: kept back until a frame or another shape decides.
          hold(st, line, ts_ms);
          return;
        }
        break;
    }
    if (continues && limit) {
      // Over max_lines / max_bytes: the rest of this event is dropped, and the event flagged.
      o.event.truncated = true;
      o.held_blanks = 0;
      o.last_ts_ms = ts_ms;
      return;
    }
    if (continues) {
      append(st, line);
      o.last_ts_ms = ts_ms;
      note_appended(o, line, role);
      return;
    }
    emit(st, out);
  }
  if (role == LineRole::blank) return;  // blank lines between events are dropped
  start(st, stream, line, ts_ms, role == LineRole::header);
  st.open.exception_head = role == LineRole::trace_start && !starts_with(trim(line), marker::traceback.substr(0, 9));
  st.open.trace = role == LineRole::trace_start || (role == LineRole::continuation && !weak);
  note_appended(st.open, line, role);
}

void Stitcher::note_appended(Open& o, std::string_view line, LineRole role) {
  sv s = trim(line);
  bool indented = !line.empty() && (line[0] == ' ' || line[0] == '\t');
  if (starts_with(s, marker::traceback)) {
    o.python = true;
    o.expect_trace = false;
    return;
  }
  if (starts_with(s, marker::during_handling) || starts_with(s, marker::direct_cause)) {
    o.expect_trace = true;
    return;
  }
  o.expect_trace = false;
  if (role == LineRole::trace_start || (role == LineRole::continuation && (is_frame_shaped(s) || !indented)))
    o.trace = true;
  if (role == LineRole::continuation && ends_exception_message(s))
    o.exception_head = false;  // the first frame ends a multi-line exception message
  if (starts_with(s, marker::goroutine)) o.go = true;
  if (o.python && !indented && role != LineRole::continuation) o.python = false;
}

void Stitcher::flush_expired(std::int64_t now_ms, std::vector<StitchedEvent>& out) {
  for (auto it = streams_.begin(); it != streams_.end();) {
    auto& st = it->second;
    if (st.active && now_ms - st.open.last_ts_ms >= opts_.max_wait_ms) emit(st, out);
    if (!st.active && opts_.forget_idle_ms > 0 && now_ms - st.last_line_ms >= opts_.forget_idle_ms)
      it = streams_.erase(it);
    else
      ++it;
  }
}

void Stitcher::flush_all(std::vector<StitchedEvent>& out) {
  for (auto& [name, st] : streams_) emit(st, out);
}

std::size_t Stitcher::pending() const { return active_; }

}  // namespace selfheal::fingerprint
