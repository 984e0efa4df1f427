#pragma once
// Located, validating access to one YAML mapping of the config. Every problem is recorded with
// file:line:col in a shared Diagnostics (all problems are reported at once, before anything starts).
// The accepted keys, each key's type, range, unit and choices come from the key table
// (app/config_table.hpp); a key missing from the table is an internal error. Getters leave the
// default in `out` when the key is absent and write that default back into the node, so the node
// becomes the *effective* config that `selfheal config check` prints.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/config_table.hpp"

namespace selfheal::app {

struct Diagnostics {
  std::vector<std::string> errors;
  /// Where a value that is not in the file came from: key path -> "SELFHEAL_X (environment)".
  std::map<std::string, std::string> origin;
  void add(std::string msg) { errors.push_back(std::move(msg)); }
  bool ok() const { return errors.empty(); }
  std::string joined() const;
};

/// The node at a dotted `path` ("llm.budget.daily_calls") below `root`; an undefined node when absent.
YAML::Node node_at(const YAML::Node& root, std::string_view path);

class ConfigSection {
 public:
  ConfigSection(YAML::Node node, std::string file, std::string path, Diagnostics& diag);

  /// Rejects keys that are not in the key table under this mapping (and not in `also`, keys that get
  /// an error of their own), listing the accepted ones. Call first.
  void allow_only(std::initializer_list<std::string_view> also = {});
  /// Rejects keys not in `allowed` (a list narrower than the table's, e.g. one action type's keys).
  void allow_only(const std::vector<std::string>& allowed);

  bool has(std::string_view key) const;
  /// Each getter checks the value against the key's row: type, range (integer, number, duration in
  /// its unit, or with a unit suffix) and choices.
  void get(std::string_view key, std::string& out);
  void get(std::string_view key, bool& out);
  void get(std::string_view key, std::int64_t& out);
  void get(std::string_view key, int& out);
  void get(std::string_view key, double& out);
  void get(std::string_view key, std::vector<std::string>& out);
  /// "host:port"
  void get_listen(std::string_view key, std::string& host, int& port);

  /// Sub-mapping (created empty if absent). An error if present but not a mapping.
  ConfigSection child(std::string_view key);
  /// Items of a sequence of mappings. An error if present but not a sequence.
  std::vector<ConfigSection> list(std::string_view key);

  /// "file:line:col" of the key (or of this mapping when key is empty), for cross-field errors.
  std::string where(std::string_view key = {}) const;
  void error(std::string_view key, const std::string& message);
  const std::string& path() const { return path_; }
  /// The path with list indices as "[]": the section's row in the key table.
  const std::string& schema() const { return schema_; }
  YAML::Node node() const { return node_; }
  Diagnostics& diagnostics() { return diag_; }

 private:
  template <typename T>
  bool scalar(std::string_view key, T& out, const char* type_name);
  const KeySpec* spec(std::string_view key);
  ConfigSection(YAML::Node node, std::string file, std::string path, std::string schema, Diagnostics& diag);
  YAML::Node node_;
  std::string file_;
  std::string path_;
  std::string schema_;
  Diagnostics& diag_;
};

}  // namespace selfheal::app
