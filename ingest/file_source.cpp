#include "ingest/file_source.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "fingerprint/stitcher.hpp"
#include "ingest/event_fields.hpp"
#include "ingest/source_metrics.hpp"

namespace selfheal::ingest {
namespace {

std::string file_key(std::uint64_t dev, std::uint64_t ino) { return std::to_string(dev) + ":" + std::to_string(ino); }

std::vector<std::string> expand(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  return out;
}

}  // namespace

FileSource::FileSource(FileConfig cfg, const Clock& clock, Metrics& metrics, StitchLimits stitch)
    : cfg_(std::move(cfg)), clock_(clock), stitch_(stitch) {
  const MetricLabels src = {{"source", cfg_.name}};
  bytes_ = &SourceMetrics(metrics, cfg_.name).bytes;
  rotations_ = &metrics.counter("selfheal_file_rotations_total", "Files rotated away (renamed or removed) and closed.", src);
  truncations_ = &metrics.counter("selfheal_file_truncations_total", "Files truncated under us (copytruncate).", src);
}

FileSource::~FileSource() { close(); }

Result<void> FileSource::start(const std::vector<SourcePosition>& stored) {
  stored_.clear();
  for (const auto& p : stored) {
    if (p.value == "gone") continue;
    char* end = nullptr;
    long long v = std::strtoll(p.value.c_str(), &end, 10);
    if (end == p.value.c_str() || *end != '\0' || v < 0) continue;
    stored_[p.key] = v;
  }
  scan(true);
  next_scan_ms_ = clock_.now_ms() + cfg_.glob_interval_ms;
  return ok();
}

void FileSource::track(const std::string& path, int fd, const struct stat& fst, bool initial, bool rotated) {
  const std::string key = file_key(fst.st_dev, fst.st_ino);
  Tracked t;
  t.path = path;
  t.rotated = rotated;
  t.fd = fd;
  t.dev = fst.st_dev;
  t.ino = fst.st_ino;
  t.last_data_ms = clock_.now_ms();
  t.seen_size = fst.st_size;
  if (auto it = stored_.find(key); it != stored_.end()) {
    t.offset = it->second <= fst.st_size ? it->second : 0;  // shorter now: truncated while we were away
  } else if (initial && cfg_.start_at == "end") {
    t.offset = fst.st_size;
  }
  if (t.offset > 0) {  // resuming: remember the head we resume under, to notice a truncate-and-rewrite
    t.head.assign(static_cast<std::size_t>(std::min<std::int64_t>(fst.st_size, 64)), '\0');
    if (::pread(fd, t.head.data(), t.head.size(), 0) != static_cast<ssize_t>(t.head.size())) t.head.clear();
  }
  files_.emplace(key, std::move(t));
}

void FileSource::scan(bool initial) {
  std::map<std::string, std::string> at_path;  // key -> path, for everything the globs match now
  bool open_failed = false;
  for (const auto& pattern : cfg_.paths) {
    for (const auto& path : expand(pattern)) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      const std::string key = file_key(st.st_dev, st.st_ino);
      at_path[key] = path;
      if (files_.count(key)) continue;
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        set_health({false, "cannot open " + path + ": " + std::strerror(errno)});
        open_failed = true;
        continue;
      }
      struct stat fst {};
      if (::fstat(fd, &fst) != 0 || file_key(fst.st_dev, fst.st_ino) != key) {  // replaced in between
        ::close(fd);
        continue;
      }
      track(path, fd, fst, initial, false);
    }
  }
  if (initial) {
    // A file renamed away while we were stopped (app.log -> app.log.1) no longer matches the globs:
    // find stored inodes among the neighbours and finish reading them.
    std::map<std::string, bool> dirs;
    for (const auto& pattern : cfg_.paths) dirs[std::filesystem::path(pattern).parent_path().string()] = true;
    for (const auto& [dir, unused] : dirs) {
      std::error_code ec;
      for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
           it.increment(ec)) {
        struct stat st {};
        const std::string path = it->path().string();
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        const std::string key = file_key(st.st_dev, st.st_ino);
        if (files_.count(key) || !stored_.count(key)) continue;
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat fst {};
        if (::fstat(fd, &fst) != 0 || file_key(fst.st_dev, fst.st_ino) != key) {
          ::close(fd);
          continue;
        }
        track(path, fd, fst, initial, true);
      }
    }
  }
  for (auto& [key, f] : files_) {
    auto it = at_path.find(key);
    if (it != at_path.end()) f.path = it->second;  // renamed onto another matching name: keep following
  }
  if (!open_failed) set_health({});
  // Files no path leads to any more are rotated; poll closes them once read to the end.
  for (auto& [key, f] : files_) f.rotated = !at_path.count(key);
}

bool FileSource::read_file(Tracked& f, Batch& batch, std::size_t& budget, bool flush_open) {
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return false;
  bool truncated = st.st_size < f.offset;
  if (!truncated && !f.head.empty()) {
    // Truncated and already written again past our offset: the first bytes are not what they were.
    std::string now_head(f.head.size(), '\0');
    truncated = ::pread(f.fd, now_head.data(), now_head.size(), 0) != static_cast<ssize_t>(now_head.size()) ||
                now_head != f.head;
  }
  if (truncated) {  // copytruncate
    truncations_->inc();
    f.offset = 0;
    f.head.clear();
    batch.positions.push_back({cfg_.name, file_key(f.dev, f.ino), "0"});
  }
  const UnixMs now = clock_.now_ms();
  if (st.st_size == f.offset || budget == 0) return false;

  const std::size_t max_line = static_cast<std::size_t>(std::max<std::int64_t>(cfg_.max_line_bytes, 1));
  const std::size_t want = static_cast<std::size_t>(std::min<std::int64_t>(st.st_size - f.offset, 8LL << 20));
  std::string buf(want, '\0');
  ssize_t got = ::pread(f.fd, buf.data(), want, f.offset);
  if (got <= 0) return false;
  buf.resize(static_cast<std::size_t>(got));
  if (f.offset == 0 && f.head.empty()) f.head = buf.substr(0, std::min<std::size_t>(buf.size(), 64));

  struct Line {
    std::string_view text;
    std::int64_t start;  // file offset of its first byte
    bool cut;
  };
  std::vector<Line> lines;
  std::size_t pos = 0;
  while (lines.size() < budget && pos < buf.size()) {
    auto nl = buf.find('\n', pos);
    std::size_t len = nl == std::string::npos ? buf.size() - pos : nl - pos;
    if (nl == std::string::npos && len < max_line) break;  // incomplete last line: wait for its newline
    bool cut = len > max_line;
    std::string_view text(buf.data() + pos, std::min(len, max_line));
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    lines.push_back({text, f.offset + static_cast<std::int64_t>(pos), cut});
    pos = nl == std::string::npos ? pos + max_line : nl + 1;
    if (cut && nl != std::string::npos) pos = nl + 1;
  }
  if (lines.empty()) return false;
  const std::int64_t end = f.offset + static_cast<std::int64_t>(pos);

  Labels labels(cfg_.labels.begin(), cfg_.labels.end());
  labels.emplace_back("filename", f.path);
  std::sort(labels.begin(), labels.end());

  fingerprint::StitchOptions so;
  so.max_lines = cfg_.multiline ? stitch_.max_lines : 1;
  so.max_bytes = stitch_.max_bytes;
  fingerprint::Stitcher stitcher(so);
  std::vector<fingerprint::StitchedEvent> ready;
  auto emit = [&](fingerprint::StitchedEvent& ev) {
    LogEvent& e = batch.events.emplace_back();
    e.ts = now;
    e.message = std::move(ev.text);
    e.labels = labels;
    e.source = cfg_.name;
    e.lines = static_cast<std::uint32_t>(ev.lines);
    e.truncated = ev.truncated;
    extract_fields(e);
  };
  for (const auto& l : lines) {
    if (l.text.find('\0') == std::string_view::npos) {
      stitcher.push("f", l.text, now, ready);
      continue;
    }
    // NUL bytes are not text (a binary file, or the zeroed tail a crash leaves in a preallocated
    // log): the line is kept as a dead letter, and it ends whatever event was open before it.
    stitcher.flush_all(ready);
    for (auto& ev : ready) emit(ev);
    ready.clear();
    DeadLetter& d = batch.dead_letters.emplace_back();
    d.ts = now;
    d.source = cfg_.name;
    d.reason = "binary_line: a line of " + f.path + " at byte " + std::to_string(l.start) + " holds NUL bytes";
    d.content_type = "application/octet-stream";
    d.payload.assign(l.text.substr(0, 64 * 1024));
    d.size = l.text.size();
  }
  for (auto& ev : ready) emit(ev);
  ready.clear();
  stitcher.flush_all(ready);  // the event still open at the end, if any

  std::int64_t new_offset = end;
  const bool growing = now - f.last_data_ms < stitch_.max_wait_ms;
  if (!ready.empty() && cfg_.multiline && !flush_open && growing && pos == buf.size()) {
    // More lines of this event may follow: do not consume it; start there next time.
    std::string_view first = std::string_view(ready.front().text).substr(0, ready.front().text.find('\n'));
    std::int64_t start = -1;
    for (auto it = lines.rbegin(); it != lines.rend(); ++it)
      if (it->text == first) {
        start = it->start;
        break;
      }
    if (start > f.offset) {
      new_offset = start;
    } else if (start == f.offset) {
      return false;  // only the open event so far: nothing to hand out yet
    } else {
      for (auto& ev : ready) emit(ev);  // could not place it: emit rather than risk reading it twice
    }
  } else {
    for (auto& ev : ready) emit(ev);
  }
  budget -= std::min(budget, lines.size());
  bytes_->inc(static_cast<std::uint64_t>(new_offset - f.offset));  // what is handed out, not what is held back
  f.offset = new_offset;
  batch.positions.push_back({cfg_.name, file_key(f.dev, f.ino), std::to_string(f.offset)});
  return true;
}

Result<Batch> FileSource::poll(std::chrono::milliseconds max_wait) {
  Batch batch;
  const UnixMs now = clock_.now_ms();
  if (now >= next_scan_ms_) {
    scan(false);
    next_scan_ms_ = now + cfg_.glob_interval_ms;
  }
  std::size_t budget = static_cast<std::size_t>(std::max<std::int64_t>(cfg_.max_batch_lines, 1));
  for (auto it = files_.begin(); it != files_.end();) {
    Tracked& f = it->second;
    struct stat st {};
    const bool had_size = ::fstat(f.fd, &st) == 0;
    if (had_size && st.st_size != f.seen_size) {  // the file changed: note it for the multiline hold-back
      f.seen_size = st.st_size;
      f.last_data_ms = now;
    }
    const bool read = read_file(f, batch, budget, /*flush_open=*/f.rotated);
    if (f.rotated && !read && (!had_size || st.st_size <= f.offset)) {
      // Rotated away and read to its end: close it and retire its position.
      rotations_->inc();
      batch.positions.push_back({cfg_.name, it->first, "gone"});
      ::close(f.fd);
      it = files_.erase(it);
      continue;
    }
    ++it;
  }
  if (batch.events.empty() && batch.positions.empty() && max_wait.count() > 0)
    std::this_thread::sleep_for(std::min(max_wait, std::chrono::milliseconds(cfg_.poll_interval_ms)));  // poll's contract
  return batch;
}

Result<void> FileSource::commit(const Batch& stored) {
  (void)stored;  // positions are durable with the events; nothing to tell the files
  return ok();
}

Batch FileSource::drain() {
  Batch batch;
  std::size_t budget = SIZE_MAX;
  for (auto& [key, f] : files_) read_file(f, batch, budget, /*flush_open=*/true);
  return batch;
}

SourceHealth FileSource::health() const {
  std::lock_guard lock(health_mu_);
  return health_;
}

void FileSource::close() {
  for (auto& [key, f] : files_)
    if (f.fd >= 0) ::close(f.fd);
  files_.clear();
}

}  // namespace selfheal::ingest
