#include "app/cmd_fingerprint.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
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
  /// Writes a large piece straight to fd 1 (after what is buffered), without copying it.
  bool write_through(std::string_view s) { return flush() && write_all(s); }
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

/// Reads fd 0 in 1 MiB blocks and calls on_line for each line (without '\n' / trailing '\r').
/// A line longer than max_bytes is cut (the rest is skipped) and flagged.
template <typename F>
bool for_each_line(std::size_t max_bytes, F&& on_line) {
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

/// Reads fd 0 in large blocks and hands over every complete line of a block at once (views into
/// the block, valid during the call): no per-line copy. Same line semantics as for_each_line: no
/// '\n', no trailing '\r', a line longer than max_bytes is cut and the rest skipped.
template <typename F>
bool for_each_block(std::size_t max_bytes, F&& on_lines) {
  constexpr std::size_t block = 8 << 20;
  // A raw buffer: the carried rest of a line (< max_bytes) plus one block; never zero-filled.
  const std::unique_ptr<char[]> storage(new char[block + max_bytes + 1]);
  struct Buf {
    char* p;
    std::size_t n = 0;
    char* data() const { return p; }
    std::size_t size() const { return n; }
    void resize(std::size_t k) { n = k; }
  } buf{storage.get()};
  std::vector<std::string_view> lines;
  bool skipping = false;  // inside the cut-off rest of a long line
  bool eof = false;
  while (!eof) {
    const std::size_t have = buf.size();
    ssize_t n;
    do {
      n = ::read(0, buf.data() + have, block);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return false;
    buf.resize(have + static_cast<std::size_t>(n));
    eof = n == 0;
    lines.clear();
    std::size_t pos = 0;
    while (pos < buf.size()) {
      const char* nl = static_cast<const char*>(std::memchr(buf.data() + pos, '\n', buf.size() - pos));
      if (nl == nullptr) break;
      const std::size_t end = static_cast<std::size_t>(nl - buf.data());
      if (skipping) {
        skipping = false;
      } else {
        std::string_view line(buf.data() + pos, end - pos);
        if (line.size() > max_bytes) line = line.substr(0, max_bytes);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
      }
      pos = end + 1;
    }
    // What is left has no newline yet: keep it for the next block, or cut it when it is too long.
    std::string_view rest(buf.data() + pos, buf.size() - pos);
    if (!skipping && rest.size() > max_bytes) {
      std::string_view line = rest.substr(0, max_bytes);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines.push_back(line);
      skipping = true;
      rest = {};
    } else if (skipping) {
      rest = {};
    }
    if (eof && !rest.empty()) {
      std::string_view line = rest;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines.push_back(line);
      rest = {};
    }
    if (!lines.empty()) on_lines(lines);
    if (!rest.empty()) std::memmove(buf.data(), rest.data(), rest.size());
    buf.resize(rest.size());
  }
  return true;
}

void write_row(Output& out, std::string_view id, std::string_view tmpl, const std::string* explain) {
  out.put(id);
  out.put('\t');
  out.put(tmpl);
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
  bool ok = for_each_line(flags.max_line_bytes, [&](std::string_view line, bool) {
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
    bool ok = for_each_line(flags.max_line_bytes, [&](std::string_view line, bool) {
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
    ok = for_each_line(flags.max_line_bytes, [&](std::string_view line, bool) {
      fp::Fingerprint f = engine.compute(line);
      auto [it, fresh] = index.try_emplace(f.id, static_cast<std::uint32_t>(distinct.size()));
      if (fresh) distinct.push_back({f.id, f.template_text, f.exception_type.empty() && f.frames.empty()});
      rows.push_back(it->second);
      explains.push_back(engine.explain_json(line));
    });
  } else {
    // Lines are fingerprinted on every core, a batch at a time (an engine and a table of the ids it
    // has seen per thread); the batch keeps its lines in order, so the output is the serial one.
    struct Worker {
      fp::Engine engine;
      std::unordered_map<std::string, std::uint32_t> local;  // id -> local slot
      std::vector<Distinct> seen;                            // local slot -> first fingerprint
      std::vector<std::uint32_t> global;                     // local slot -> distinct slot
      std::vector<std::uint32_t> slots;                      // this batch: local slot per line
    };
    const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
    std::vector<Worker> workers(threads);
    auto process = [&](const std::vector<std::string_view>& lines) {
      const std::size_t n = lines.size();
      const std::size_t per = (n + threads - 1) / threads;
      auto work = [&](unsigned w) {
        Worker& wk = workers[w];
        wk.slots.clear();
        fp::Fingerprint f;
        const std::size_t from = std::min(n, w * per), to = std::min(n, from + per);
        for (std::size_t i = from; i < to; ++i) {
          wk.engine.compute_into(lines[i], f);
          auto it = wk.local.find(f.id);
          if (it == wk.local.end()) {
            const bool message = f.exception_type.empty() && f.frames.empty();
            it = wk.local.emplace(f.id, static_cast<std::uint32_t>(wk.seen.size())).first;
            wk.seen.push_back({f.id, f.template_text, message});
          }
          wk.slots.push_back(it->second);
        }
      };
      std::vector<std::thread> pool;
      for (unsigned w = 1; w < threads; ++w) pool.emplace_back(work, w);
      work(0);
      for (auto& t : pool) t.join();
      for (auto& wk : workers) {
        for (std::size_t k = wk.global.size(); k < wk.seen.size(); ++k) {
          auto [it, fresh] = index.try_emplace(wk.seen[k].id, static_cast<std::uint32_t>(distinct.size()));
          if (fresh) distinct.push_back(wk.seen[k]);
          wk.global.push_back(it->second);
        }
        for (std::uint32_t slot : wk.slots) rows.push_back(wk.global[slot]);
      }
    };
    ok = for_each_block(flags.max_line_bytes, process);
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
    // Each row's text is known: format blocks of rows on every core, write them in order.
    std::vector<std::string> lines_of(final_rows.size());
    for (std::size_t i = 0; i < final_rows.size(); ++i) {
      const auto& [id, tmpl] = final_rows[i];
      lines_of[i].reserve(id.size() + tmpl.size() + 2);
      lines_of[i].append(id).append(1, '\t').append(tmpl).append(1, '\n');
    }
    const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
    constexpr std::size_t block_rows = 1 << 18;
    std::vector<std::string> bufs(threads);
    for (std::size_t b = 0; b < rows.size(); b += block_rows) {
      const std::size_t e = std::min(rows.size(), b + block_rows);
      const std::size_t per = (e - b + threads - 1) / threads;
      auto fmt = [&](unsigned w) {
        std::string& buf = bufs[w];
        buf.clear();
        const std::size_t from = std::min(e, b + w * per), to = std::min(e, from + per);
        for (std::size_t r = from; r < to; ++r) buf.append(lines_of[rows[r]]);
      };
      std::vector<std::thread> pool;
      for (unsigned w = 1; w < threads; ++w) pool.emplace_back(fmt, w);
      fmt(0);
      for (auto& t : pool) t.join();
      for (const auto& buf : bufs) out.write_through(buf);
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
  bool ok = for_each_line(flags.max_line_bytes, [&](std::string_view line, bool) {
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
