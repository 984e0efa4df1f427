#pragma once
// A real process that records how it was run: the healer's exec tests check the argv selfheal
// passes (no shell involved) and make the "fix" succeed or fail at will.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/support.hpp"

namespace selfheal::test {

/// A script that appends its argv (one run per line, elements joined by |) to $1 and exits with the
/// number stored in the file $2.
struct Recorder {
  std::string script, out, code;
  explicit Recorder(const TempDir& dir, int exit_code = 0) {
    script = dir.file("record.sh");
    out = dir.file("argv.log");
    code = dir.file("code");
    write_file(script,
               "#!/bin/sh\nout=\"$1\"; shift; code=$(cat \"$1\"); shift\nline=\"\"\nfor a in \"$@\"; "
               "do line=\"$line|$a\"; done\nprintf '%s\\n' \"$line\" >> \"$out\"\nexit \"$code\"\n");
    ::chmod(script.c_str(), 0755);
    exit_with(exit_code);
  }
  /// The exit code of the runs from now on.
  void exit_with(int exit_code) const { write_file(code, std::to_string(exit_code)); }
  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    if (!std::filesystem::exists(out)) return v;
    std::string all = read_file(out);
    std::size_t pos = 0;
    while (pos < all.size()) {
      auto nl = all.find('\n', pos);
      v.push_back(all.substr(pos, nl - pos));
      pos = nl + 1;
    }
    return v;
  }
  /// The argv of a run that records `rest`.
  std::vector<std::string> argv(const std::vector<std::string>& rest) const {
    std::vector<std::string> v = {script, out, code};
    v.insert(v.end(), rest.begin(), rest.end());
    return v;
  }
  std::string argv_yaml(const std::vector<std::string>& rest) const {
    std::string s = "[\"" + script + "\", \"" + out + "\", \"" + code + "\"";
    for (const auto& r : rest) s += ", \"" + r + "\"";
    return s + "]";
  }
  /// An exec action (flow-map insides) that records `rest`; `more` adds keys ("name: restart").
  std::string exec(const std::vector<std::string>& rest, const std::string& more = "") const {
    return "type: exec, " + (more.empty() ? "" : more + ", ") + "argv: " + argv_yaml(rest);
  }
};

}  // namespace selfheal::test
