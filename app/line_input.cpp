#include "app/line_input.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

namespace selfheal::app {

bool for_each_stdin_line(std::size_t max_bytes, const std::function<void(std::string_view, bool)>& on_line) {
  std::vector<char> block(1 << 20);
  std::string carry;
  bool carry_cut = false;
  bool saw_data = false;
  auto deliver = [&](std::string_view line, bool cut) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    on_line(line, cut);
  };
  while (true) {
    ssize_t n = ::read(0, block.data(), block.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) break;
    saw_data = true;
    const char* p = block.data();
    const char* end = p + n;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (nl == nullptr) {
        std::size_t room = carry.size() < max_bytes ? max_bytes - carry.size() : 0;
        std::size_t take = std::min<std::size_t>(room, static_cast<std::size_t>(end - p));
        carry.append(p, take);
        if (take < static_cast<std::size_t>(end - p)) carry_cut = true;
        break;
      }
      std::string_view piece(p, static_cast<std::size_t>(nl - p));
      if (carry.empty() && !carry_cut) {
        bool cut = piece.size() > max_bytes;
        deliver(cut ? piece.substr(0, max_bytes) : piece, cut);
      } else {
        std::size_t room = carry.size() < max_bytes ? max_bytes - carry.size() : 0;
        if (piece.size() > room) carry_cut = true;
        carry.append(piece.substr(0, room));
        deliver(carry, carry_cut);
        carry.clear();
        carry_cut = false;
      }
      p = nl + 1;
    }
  }
  if (saw_data && (!carry.empty() || carry_cut)) deliver(carry, carry_cut);
  return true;
}

namespace {

// A regular file on fd 0, mapped from the current offset to its end; empty when fd 0 is not a
// regular file or cannot be mapped (the caller reads instead). A file cut short while it is mapped
// raises SIGBUS, as for any tool that maps its input (ripgrep, sort --files0-from): pipe such a
// file through `cat` to read a copy.
class MappedStdin {
 public:
  MappedStdin() {
    struct stat st {};
    const off_t at = ::lseek(0, 0, SEEK_CUR);
    if (at < 0 || ::fstat(0, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= at) return;
    len_ = static_cast<std::size_t>(st.st_size);
    void* m = ::mmap(nullptr, len_, PROT_READ, MAP_PRIVATE, 0, 0);
    if (m == MAP_FAILED) return;
    ::madvise(m, len_, MADV_SEQUENTIAL);
    base_ = static_cast<const char*>(m);
    text_ = std::string_view(base_ + at, len_ - static_cast<std::size_t>(at));
    ::lseek(0, st.st_size, SEEK_SET);  // consumed, as a read to the end would leave it
  }
  ~MappedStdin() {
    if (base_ != nullptr) ::munmap(const_cast<char*>(base_), len_);
  }
  MappedStdin(const MappedStdin&) = delete;
  MappedStdin& operator=(const MappedStdin&) = delete;
  bool mapped() const { return base_ != nullptr; }
  std::string_view text() const { return text_; }

 private:
  const char* base_ = nullptr;
  std::size_t len_ = 0;
  std::string_view text_;
};

}  // namespace

bool for_each_stdin_text(std::size_t max_bytes, const std::function<void(std::string_view)>& on_text) {
  if (MappedStdin file; file.mapped()) {
    on_text(file.text());
    return true;
  }
  constexpr std::size_t block = 8 << 20;
  // A raw buffer: the carried rest of a line (< max_bytes) plus one block; never zero-filled.
  const std::unique_ptr<char[]> storage(new char[block + max_bytes + 1]);
  char* const buf = storage.get();
  std::size_t have = 0;
  bool skipping = false;  // inside the cut-off rest of a long line
  bool eof = false;
  while (!eof) {
    ssize_t n;
    do {
      n = ::read(0, buf + have, block);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return false;
    const std::size_t size = have + static_cast<std::size_t>(n);
    eof = n == 0;
    std::size_t from = 0;
    if (skipping) {  // the rest of a cut line ends at the next newline
      const void* nl = std::memchr(buf, '\n', size);
      from = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - buf) + 1 : size;
      if (nl) skipping = false;
    }
    // Whole lines go out together; what follows the last newline waits for the next block.
    std::size_t whole = from;
    if (const void* last = ::memrchr(buf + from, '\n', size - from))
      whole = static_cast<std::size_t>(static_cast<const char*>(last) - buf) + 1;
    if (whole > from) on_text(std::string_view(buf + from, whole - from));
    std::string_view rest(buf + whole, size - whole);
    if (!skipping && rest.size() > max_bytes) {
      on_text(rest.substr(0, max_bytes));  // a line longer than max_bytes: cut, skip its rest
      skipping = true;
      rest = {};
    } else if (skipping) {
      rest = {};
    }
    if (eof && !rest.empty()) {
      on_text(rest);
      rest = {};
    }
    if (!rest.empty()) std::memmove(buf, rest.data(), rest.size());
    have = rest.size();
  }
  return true;
}

}  // namespace selfheal::app
