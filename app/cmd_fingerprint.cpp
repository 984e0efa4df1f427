#include "app/cmd_fingerprint.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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
  bool flush() {
    std::size_t off = 0;
    while (off < buf_.size()) {
      ssize_t n = ::write(1, buf_.data() + off, buf_.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        ok_ = false;
        break;
      }
      off += static_cast<std::size_t>(n);
    }
    buf_.clear();
    return ok_;
  }
  bool ok() const { return ok_; }

 private:
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
  bool ok = for_each_line(flags.max_line_bytes, [&](std::string_view line, bool) {
    fp::Fingerprint f = engine.compute(line);
    auto [it, fresh] = index.try_emplace(f.id, static_cast<std::uint32_t>(distinct.size()));
    if (fresh) distinct.push_back({f.id, f.template_text, f.exception_type.empty() && f.frames.empty()});
    rows.push_back(it->second);
    if (flags.explain) explains.push_back(engine.explain_json(line));
  });
  std::vector<std::string> templates;
  for (const auto& d : distinct)
    if (d.message) templates.push_back(d.tmpl);
  fp::MergeOptions mo;
  mo.min_distinct = flags.min_distinct;
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
  cmd->callback([flags, &exit_code] {
    try {
      exit_code = flags->multiline ? run_multiline(*flags) : run_lines(*flags);
    } catch (const std::exception& e) {
      std::cerr << "selfheal fingerprint: " << e.what() << '\n';
      exit_code = 1;
    }
  });
}

}  // namespace selfheal::app
