#pragma once
// File tail source: follows files and globs, survives rotation, and stores its position per file
// ("dev:inode" -> byte offset) in the same transaction as the events read before it.
//
//   poll ─► (every glob_interval_ms) expand globs, open new inodes ─► per open file: detect
//        truncation (size < offset: copytruncate) ─► read complete lines from offset ─► stitch per
//        file ─► Batch{events, positions}
//
// Rotation:
//  - rename-and-create: the renamed file stays open (tracked by inode) and is read to its end; the
//    new file at the path is a new inode and is read from its first byte. A file whose path no longer
//    leads to it and that had nothing new is closed, and its position set to "gone" so a recycled
//    inode number never resumes at a stale offset.
//  - copytruncate: same inode, size below our offset: read again from 0. (Lines written between the
//    copy and the truncate are lost by that rotation scheme itself.)
// Multiline: a stitched event still open at the end of a poll (more lines may follow) is not
// consumed: the position stops at its first line, so the next poll (or a restart) reads it again
// whole; once the file has been idle for stitch_max_wait_ms it is emitted as is.
#include <cstdint>
#include <mutex>
#include <sys/stat.h>

#include <map>
#include <string>
#include <vector>

#include "ingest/config.hpp"
#include "ingest/source.hpp"
#include "schema/clock.hpp"
#include "schema/metrics.hpp"

namespace selfheal::ingest {

class FileSource final : public PullSource {
 public:
  FileSource(FileConfig cfg, const Clock& clock, Metrics& metrics, StitchLimits stitch = {});
  ~FileSource() override;

  std::string_view name() const override { return cfg_.name; }
  Result<void> start(const std::vector<SourcePosition>& stored) override;
  Result<Batch> poll(std::chrono::milliseconds max_wait) override;
  Result<void> commit(const Batch& stored) override;
  Batch drain() override;
  SourceHealth health() const override;
  void close() override;

  /// Files currently open (for tests and /readyz detail).
  std::size_t open_files() const { return files_.size(); }

 private:
  struct Tracked {
    std::string path;
    int fd = -1;
    std::uint64_t dev = 0, ino = 0;
    std::int64_t offset = 0;        // Invariant: everything before it is in a handed-out batch
    std::int64_t seen_size = 0;     // size at the last look
    bool rotated = false;           // no configured path leads to it any more
    std::string head;               // first bytes as first read: a different head means truncated and rewritten
    UnixMs last_data_ms = 0;        // when the size last changed
  };
  void scan(bool initial);
  void track(const std::string& path, int fd, const struct stat& st, bool initial, bool rotated);
  /// Reads new complete lines of `f` into `batch`; returns true if any byte was consumed.
  bool read_file(Tracked& f, Batch& batch, std::size_t& budget, bool flush_open);

  FileConfig cfg_;
  const Clock& clock_;
  StitchLimits stitch_;
  std::map<std::string, Tracked> files_;           // key "dev:ino"
  std::map<std::string, std::int64_t> stored_;     // positions from the store
  UnixMs next_scan_ms_ = 0;
  mutable std::mutex health_mu_;  // health() is read by /readyz from another thread
  SourceHealth health_;           // guarded by health_mu_
  void set_health(SourceHealth h) {
    std::lock_guard lock(health_mu_);
    health_ = std::move(h);
  }
  Counter* bytes_;
  Counter* rotations_;
  Counter* truncations_;
};

}  // namespace selfheal::ingest
