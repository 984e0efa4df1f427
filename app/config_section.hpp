#pragma once
// Located, validating access to one YAML mapping of the config. Every problem is recorded with
// file:line:col in a shared Diagnostics (all problems are reported at once, before anything starts).
// Getters leave the default in `out` when the key is absent and write that default back into the
// node, so the node becomes the *effective* config that `selfheal config check` prints.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace selfheal::app {

struct Diagnostics {
  std::vector<std::string> errors;
  void add(std::string msg) { errors.push_back(std::move(msg)); }
  bool ok() const { return errors.empty(); }
  std::string joined() const;
};

class ConfigSection {
 public:
  ConfigSection(YAML::Node node, std::string file, std::string path, Diagnostics& diag);

  /// Rejects keys not in `allowed`, listing the accepted ones. Call first.
  void allow_only(std::initializer_list<std::string_view> allowed);
  void allow_only(const std::vector<std::string>& allowed);

  bool has(std::string_view key) const;
  void get(std::string_view key, std::string& out);
  void get(std::string_view key, bool& out);
  void get(std::string_view key, std::int64_t& out, std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);
  void get(std::string_view key, int& out, int min = INT32_MIN, int max = INT32_MAX);
  void get(std::string_view key, double& out, double min = -1e300, double max = 1e300);
  void get(std::string_view key, std::vector<std::string>& out);
  /// One of `choices`, else an error listing them.
  void get_enum(std::string_view key, std::string& out, std::initializer_list<std::string_view> choices);
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
  YAML::Node node() const { return node_; }
  Diagnostics& diagnostics() { return diag_; }

 private:
  template <typename T>
  bool scalar(std::string_view key, T& out, const char* type_name);
  YAML::Node node_;
  std::string file_;
  std::string path_;
  Diagnostics& diag_;
};

}  // namespace selfheal::app
