#pragma once
// stdin as lines for `selfheal fingerprint`: one line semantics for every reader. A line is what
// comes before '\n', without a trailing '\r'; a line longer than max_bytes is cut there and the
// rest of it is skipped.

#include <cstddef>
#include <cstring>
#include <functional>
#include <string_view>

namespace selfheal::app {

/// Calls on_line(line, cut) for each line of fd 0, in order. False on a read error.
bool for_each_stdin_line(std::size_t max_bytes, const std::function<void(std::string_view, bool)>& on_line);

/// Calls on_text(text) with runs of whole lines of fd 0, in order; split them with for_each_line_of.
/// A regular file is mapped and handed over in one piece (no copy); a pipe is read in large
/// blocks. The text stays valid during the call only. False on a read error.
bool for_each_stdin_text(std::size_t max_bytes, const std::function<void(std::string_view)>& on_text);

/// The lines of a run handed over by for_each_stdin_text (the same semantics as above).
template <typename F>
void for_each_line_of(std::string_view text, std::size_t max_bytes, F&& on_line) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    const std::size_t end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.size() > max_bytes) line = line.substr(0, max_bytes);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    on_line(line);
    pos = end + 1;
  }
}

/// Splits text into pieces of about `target` bytes, each ending after a '\n' (the last piece
/// takes the rest), so whole lines can be worked on in parallel.
template <typename F>
void for_each_piece_of(std::string_view text, std::size_t target, F&& on_piece) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = pos + target;
    if (end >= text.size()) {
      end = text.size();
    } else {
      const void* nl = std::memchr(text.data() + end, '\n', text.size() - end);
      end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - text.data()) + 1 : text.size();
    }
    on_piece(text.substr(pos, end - pos));
    pos = end;
  }
}

}  // namespace selfheal::app
