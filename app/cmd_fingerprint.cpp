#include "app/cmd_fingerprint.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>

#include "app/config.hpp"
#include "app/fingerprinting.hpp"
#include "app/line_input.hpp"
#include "schema/text.hpp"
#include "ingest/event_fields.hpp"
#include "fingerprint/fingerprint.hpp"
#include "fingerprint/merge.hpp"
#include "fingerprint/stitcher.hpp"

namespace selfheal::app {
namespace {

namespace fp = selfheal::fingerprint;

struct FingerprintFlags {
  bool multiline = false;
  bool explain = false;
  bool no_learn = false;
  std::size_t min_distinct = fp::MergeOptions{}.min_distinct;
  std::vector<std::string> learn_options;  // NAME=VALUE, see fingerprint/merge.hpp
  std::string data_dir;     // print the ids this store gives now (merges applied), read-only
  std::string config_file;  // user masks and rules, as serve applies them
  std::size_t max_line_bytes = 1024 * 1024;
};

constexpr std::size_t iov_batch = 1024;  // IOV_MAX on Linux

/// An id as a key of the per-line tables: the engine's ids are 16 hex characters (fingerprint.hpp),
/// held as two integers, so a lookup compares two words; being the output of a cryptographic hash,
/// they hash with one multiply.
struct IdKey {
  std::uint64_t a = 0, b = 0;
  bool operator==(const IdKey&) const = default;
  explicit IdKey(std::string_view id) {
    if (id.size() != 16) throw std::logic_error("fingerprint id of " + std::to_string(id.size()) + " characters");
    std::memcpy(&a, id.data(), 8);
    std::memcpy(&b, id.data() + 8, 8);
  }
};
struct IdKeyHash {
  std::size_t operator()(const IdKey& k) const noexcept {
    const std::uint64_t h = (k.a ^ (k.b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
    return static_cast<std::size_t>(h ^ (h >> 32));
  }
};

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

/// Large buffered writer on fd 1; no per-line flush.
class Output {
 public:
  Output() { buf_.reserve(cap_ + 4096); }
  ~Output() { flush(); }
  void put(std::string_view s) {
    buf_.append(s);
    if (buf_.size() >= cap_) flush();
  }
  void put(char c) { buf_.push_back(c); }
  /// A template as it may be printed (see put_template below): no copy when it is plain ASCII.
  void put_template(std::string_view tmpl) {
    if (printable_ascii(tmpl)) {
      put(tmpl);
    } else {
      put(escape_control(tmpl));
    }
  }
  /// Writes many pieces (after what is buffered) with writev, without copying them.
  bool write_pieces(const std::vector<std::string_view>& pieces) {
    if (!flush()) return false;
    std::vector<iovec> iov(pieces.size());
    for (std::size_t k = 0; k < pieces.size(); ++k)
      iov[k] = {const_cast<char*>(pieces[k].data()), pieces[k].size()};
    std::size_t at = 0;
    while (ok_ && at < iov.size()) {
      const int count = static_cast<int>(std::min<std::size_t>(iov.size() - at, iov_batch));
      ssize_t n = ::writev(1, iov.data() + at, count);
      if (n < 0) {
        if (errno == EINTR) continue;
        ok_ = false;
        break;
      }
      // Skip what was written; a short write leaves a partly written piece to finish.
      std::size_t left = static_cast<std::size_t>(n);
      while (at < iov.size() && left >= iov[at].iov_len) left -= iov[at++].iov_len;
      if (left > 0) {
        iov[at].iov_base = static_cast<char*>(iov[at].iov_base) + left;
        iov[at].iov_len -= left;
      }
    }
    return ok_;
  }
  bool flush() {
    write_all(buf_);
    buf_.clear();
    return ok_;
  }
  bool ok() const { return ok_; }

 private:
  bool write_all(std::string_view s) {
    std::size_t off = 0;
    while (ok_ && off < s.size()) {
      ssize_t n = ::write(1, s.data() + off, s.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        ok_ = false;
        break;
      }
      off += static_cast<std::size_t>(n);
    }
    return ok_;
  }
  static constexpr std::size_t cap_ = 1 << 20;
  std::string buf_;
  bool ok_ = true;
};

/// Runs work(0..threads-1), work(0) on this thread; no more threads than there are tasks.
template <typename F>
void on_every_core(unsigned threads, std::size_t tasks, F&& work) {
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < threads && w < tasks; ++w) pool.emplace_back([&work, w] { work(w); });
  work(0);
  for (auto& t : pool) t.join();
}

// A template as it may be printed: control characters, bidi overrides and bytes that are not
// UTF-8 (log text is untrusted) are shown escaped (schema/text.hpp); plain ASCII passes as it is.
void put_template(std::string& to, std::string_view tmpl) {
  if (printable_ascii(tmpl)) {
    to.append(tmpl);
  } else {
    to.append(escape_control(tmpl));
  }
}

void write_row(Output& out, std::string_view id, std::string_view tmpl, const std::string* explain) {
  out.put(id);
  out.put('\t');
  out.put_template(tmpl);
  if (explain != nullptr) {
    out.put('\t');
    out.put(*explain);
  }
  out.put('\n');
}

int run_multiline(const FingerprintFlags& flags) {
  fp::Engine engine;
  fp::Stitcher stitcher;
  Output out;
  std::vector<fp::StitchedEvent> events;
  auto drain = [&] {
    for (auto& ev : events) {
      fp::Fingerprint f = engine.compute(ev.text);
      std::string ex;
      if (flags.explain) ex = engine.explain_json(ev.text);
      write_row(out, f.id, f.template_text.empty() ? std::string_view("-") : f.template_text,
                flags.explain ? &ex : nullptr);
    }
    events.clear();
  };
  bool ok = for_each_stdin_line(flags.max_line_bytes, [&](std::string_view line, bool) {
    stitcher.push("stdin", line, 0, events);
    if (!events.empty()) drain();
  });
  stitcher.flush_all(events);
  drain();
  out.flush();
  return ok && out.ok() ? 0 : 1;
}

int run_lines(const FingerprintFlags& flags) {
  fp::Engine engine;
  Output out;
  if (flags.no_learn) {
    bool ok = for_each_stdin_line(flags.max_line_bytes, [&](std::string_view line, bool) {
      fp::Fingerprint f = engine.compute(line);
      std::string ex;
      if (flags.explain) ex = engine.explain_json(line);
      write_row(out, f.id, f.template_text, flags.explain ? &ex : nullptr);
    });
    out.flush();
    return ok && out.ok() ? 0 : 1;
  }
  // Learn mode: ids of templates merged by the order-independent learner over the whole input.
  struct Distinct {
    std::string id;
    std::string tmpl;
    bool message = true;
  };
  std::vector<Distinct> distinct;
  std::unordered_map<std::string, std::uint32_t> index;  // id -> distinct slot
  std::vector<std::uint32_t> rows;
  std::vector<std::string> explains;
  bool ok = true;
  if (flags.explain) {
    ok = for_each_stdin_line(flags.max_line_bytes, [&](std::string_view line, bool) {
      fp::Fingerprint f = engine.compute(line);
      auto [it, fresh] = index.try_emplace(f.id, static_cast<std::uint32_t>(distinct.size()));
      if (fresh) distinct.push_back({f.id, f.template_text, f.exception_type.empty() && f.frames.empty()});
      rows.push_back(it->second);
      explains.push_back(engine.explain_json(line));
    });
  } else {
    // Lines are fingerprinted on every core: the input is cut into pieces of whole lines that the
    // threads take in turn (an engine and a table of the ids it has seen per thread); the pieces are
    // put back in order, so the output is the serial one.
    struct Worker {
      fp::Engine engine{[] {
        fp::Options o;
        o.keep_values = false;  // ids and templates only
        return o;
      }()};
      std::unordered_map<IdKey, std::uint32_t, IdKeyHash> local;  // id -> local slot
      std::vector<Distinct> seen;                            // local slot -> first fingerprint
      std::vector<std::uint32_t> global;                     // local slot -> distinct slot
    };
    struct Piece {
      std::string_view text;
      unsigned worker = 0;
      std::vector<std::uint32_t> slots;  // local slot of the worker, per line
    };
    const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
    std::vector<Worker> workers(threads);
    std::vector<Piece> pieces;
    auto process = [&](std::string_view text) {
      pieces.clear();
      for_each_piece_of(text, 256 << 10, [&](std::string_view t) { pieces.push_back({t, 0, {}}); });
      std::atomic<std::size_t> next{0};
      auto work = [&](unsigned w) {
        Worker& wk = workers[w];
        fp::Fingerprint f;
        for (std::size_t p; (p = next.fetch_add(1, std::memory_order_relaxed)) < pieces.size();) {
          Piece& piece = pieces[p];
          piece.worker = w;
          for_each_line_of(piece.text, flags.max_line_bytes, [&](std::string_view line) {
            wk.engine.compute_into(line, f);
            const IdKey key(f.id);
            auto it = wk.local.find(key);
            if (it == wk.local.end()) {
              const bool message = f.exception_type.empty() && f.frames.empty();
              it = wk.local.emplace(key, static_cast<std::uint32_t>(wk.seen.size())).first;
              wk.seen.push_back({f.id, f.template_text, message});
            }
            piece.slots.push_back(it->second);
          });
        }
      };
      on_every_core(threads, pieces.size(), work);
      for (auto& wk : workers) {
        for (std::size_t k = wk.global.size(); k < wk.seen.size(); ++k) {
          auto [it, fresh] = index.try_emplace(wk.seen[k].id, static_cast<std::uint32_t>(distinct.size()));
          if (fresh) distinct.push_back(wk.seen[k]);
          wk.global.push_back(it->second);
        }
      }
      // Each piece's rows go to their place in the output order, on every core.
      std::vector<std::size_t> at(pieces.size() + 1, rows.size());
      for (std::size_t p = 0; p < pieces.size(); ++p) at[p + 1] = at[p] + pieces[p].slots.size();
      rows.resize(at.back());
      next = 0;
      on_every_core(threads, pieces.size(), [&](unsigned) {
        for (std::size_t p; (p = next.fetch_add(1, std::memory_order_relaxed)) < pieces.size();) {
          const auto& global = workers[pieces[p].worker].global;
          std::uint32_t* to = rows.data() + at[p];
          for (std::uint32_t slot : pieces[p].slots) *to++ = global[slot];
        }
      });
    };
    ok = for_each_stdin_text(flags.max_line_bytes, process);
  }
  std::vector<std::string> templates;
  for (const auto& d : distinct)
    if (d.message) templates.push_back(d.tmpl);
  fp::MergeOptions mo;
  mo.min_distinct = flags.min_distinct;
  for (const auto& kv : flags.learn_options) {
    const auto eq = kv.find('=');
    std::size_t v = 0;
    try {
      v = eq == std::string::npos ? 0 : static_cast<std::size_t>(std::stoul(kv.substr(eq + 1)));
    } catch (const std::exception&) {
      throw std::runtime_error("--learn-option " + kv + ": the value must be a number");
    }
    if (eq == std::string::npos || !fp::set_merge_option(mo, std::string_view(kv).substr(0, eq), v))
      throw std::runtime_error("--learn-option " + kv + ": expected NAME=NUMBER with a MergeOptions field name");
  }
  std::unordered_map<std::string, std::string> merged;
  for (auto& m : fp::learn_merges(templates, mo)) merged.emplace(std::move(m.from), std::move(m.into));
  std::vector<std::pair<std::string, std::string>> final_rows(distinct.size());
  for (std::size_t i = 0; i < distinct.size(); ++i) {
    auto it = distinct[i].message ? merged.find(distinct[i].tmpl) : merged.end();
    if (it == merged.end()) {
      final_rows[i] = {distinct[i].id, distinct[i].tmpl};
    } else {
      final_rows[i] = {engine.id_for_template(it->second), it->second};
    }
  }
  if (!flags.explain) {
    // Each row's text is known: hand the kernel the rows' texts in place (writev), no copy here.
    std::vector<std::string> lines_of(final_rows.size());
    for (std::size_t i = 0; i < final_rows.size(); ++i) {
      const auto& [id, tmpl] = final_rows[i];
      lines_of[i].reserve(id.size() + tmpl.size() + 2);
      lines_of[i].append(id).append(1, '\t');
      put_template(lines_of[i], tmpl);
      lines_of[i].append(1, '\n');
    }
    std::vector<std::string_view> pieces;
    pieces.reserve(iov_batch);
    for (std::size_t b = 0; b < rows.size() && out.ok(); b += iov_batch) {
      pieces.clear();
      const std::size_t e = std::min(rows.size(), b + iov_batch);
      for (std::size_t r = b; r < e; ++r) pieces.push_back(lines_of[rows[r]]);
      out.write_pieces(pieces);
    }
    out.flush();
    return ok && out.ok() ? 0 : 1;
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& [id, tmpl] = final_rows[rows[r]];
    std::string* ex = nullptr;
    if (flags.explain) {
      const auto& d = distinct[rows[r]];
      if (d.id != id) {
        // Record the learned merge next to the components: "A merged into B".
        explains[r].insert(1, "\"merged_from\":\"" + d.id + "\",\"merged_into\":\"" + id + "\",");
      }
      ex = &explains[r];
    }
    write_row(out, id, tmpl, ex);
  }
  out.flush();
  return ok && out.ok() ? 0 : 1;
}

// What a user sees is what is scored: each line's id as the store at data_dir groups it now (the
// default algorithm, the configured user masks and rules, then every merge - a person's or the
// learner's). Opens the database read-only and never creates one.
int run_store_ids(const FingerprintFlags& flags) {
  const std::filesystem::path db = std::filesystem::path(flags.data_dir) / "selfheal.db";
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) {
    std::cerr << "selfheal fingerprint: no store at " << db.string() << " (--data-dir must hold selfheal.db)\n";
    return 2;
  }
  CliOverrides over;
  over.data_dir = flags.data_dir;
  auto cfg = load_config(flags.config_file, over);
  if (!cfg) {
    std::cerr << "selfheal: config error:\n" << cfg.error().message << '\n';
    return 2;
  }
  std::unordered_map<std::string, std::string> merges;
  std::unordered_map<std::string, std::string> templates;
  {
    SQLite::Database conn(db.string(), SQLite::OPEN_READONLY);
    conn.exec("PRAGMA busy_timeout = 5000");
    SQLite::Statement q(conn, "SELECT source_id, target_id FROM merges");
    while (q.executeStep()) merges.emplace(q.getColumn(0).getString(), q.getColumn(1).getString());
    SQLite::Statement t(conn, "SELECT id, template FROM fingerprints WHERE id IN (SELECT target_id FROM merges)");
    while (t.executeStep()) templates.emplace(t.getColumn(0).getString(), t.getColumn(1).getString());
  }
  Fingerprinting fping(cfg->fingerprint);
  fping.set_merges(std::move(merges));
  Output out;
  LogEvent ev;
  bool ok = for_each_stdin_line(flags.max_line_bytes, [&](std::string_view line, bool) {
    ev = LogEvent{};
    ev.message.assign(line);
    ingest::extract_fields(ev);  // as every source does before the pipeline fingerprints
    FingerprintInfo info = fping.compute(ev);
    auto it = templates.find(info.id);
    write_row(out, info.id, it != templates.end() ? std::string_view(it->second) : std::string_view(info.template_text),
              nullptr);
  });
  out.flush();
  return ok && out.ok() ? 0 : 1;
}

}  // namespace

void register_fingerprint_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<FingerprintFlags>();
  auto* cmd = app.add_subcommand(
      "fingerprint",
      "Read log messages on stdin (one per line) and print <id>\\t<template> per line.");
  cmd->add_flag("--multiline", flags->multiline,
                "Stitch multi-line events (stack traces) and print one line per event");
  cmd->add_flag("--explain", flags->explain,
                "Add a third tab-separated column: the components of the id as JSON");
  cmd->add_flag("--no-learn", flags->no_learn,
                "Stream: print each line at once with its pure id (no learned template merges)");
  cmd->add_option("--min-distinct", flags->min_distinct,
                  "Learned merges: distinct values at one token position that make it a variable")
      ->check(CLI::Range(2, 1000000));
  cmd->add_option("--learn-option", flags->learn_options,
                  "Learned merges: NAME=NUMBER for one MergeOptions field (evaluation; repeatable)");
  cmd->add_option("--data-dir", flags->data_dir,
                  "Print each line's current id in the store in DIR (merges applied, read-only), as serve groups it");
  cmd->add_option("--config", flags->config_file, "Config file for --data-dir (user masks and rules)");
  cmd->callback([flags, &exit_code] {
    try {
      if (!flags->data_dir.empty()) {
        exit_code = run_store_ids(*flags);
        return;
      }
      exit_code = flags->multiline ? run_multiline(*flags) : run_lines(*flags);
    } catch (const std::exception& e) {
      std::cerr << "selfheal fingerprint: " << e.what() << '\n';
      exit_code = 1;
    }
  });
}

}  // namespace selfheal::app
