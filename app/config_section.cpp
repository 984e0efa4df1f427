#include "app/config_section.hpp"

#include <algorithm>

namespace selfheal::app {
namespace {

// "1 and 4096 ms" from the row's range.
std::string between(const KeySpec& k) {
  std::string r = describe_range(k);
  const auto dots = r.find("..");
  return r.substr(0, dots) + " and " + r.substr(dots + 2) + (k.unit.empty() ? "" : " " + k.unit);
}

}  // namespace

YAML::Node node_at(const YAML::Node& root, std::string_view path) {
  YAML::Node n = YAML::Clone(root);
  for (std::string_view rest = path; !rest.empty();) {
    const auto dot = rest.find('.');
    const std::string part(rest.substr(0, dot));
    if (!n.IsMap() || !n[part]) return YAML::Node(YAML::NodeType::Undefined);
    YAML::Node next = n[part];
    n.reset(next);
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  }
  return n;
}

std::string Diagnostics::joined() const {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "\n";
    out += e;
  }
  return out;
}

ConfigSection::ConfigSection(YAML::Node node, std::string file, std::string path, Diagnostics& diag)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)), schema_(path_), diag_(diag) {}

ConfigSection::ConfigSection(YAML::Node node, std::string file, std::string path, std::string schema, Diagnostics& diag)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)), schema_(std::move(schema)), diag_(diag) {}

const KeySpec* ConfigSection::spec(std::string_view key) {
  const std::string full = schema_.empty() ? std::string(key) : schema_ + "." + std::string(key);
  const KeySpec* k = find_config_key(full);
  if (!k) diag_.add("internal error: config key " + full + " is not in the key table (app/config_keys*.cpp)");
  return k;
}

std::string ConfigSection::where(std::string_view key) const {
  YAML::Mark mark = node_.Mark();
  if (!key.empty() && node_.IsMap()) {
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      if (it->first.Scalar() == key) {
        mark = it->first.Mark();
        break;
      }
    }
  }
  if (mark.is_null() || mark.line < 0) return file_;
  return file_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void ConfigSection::error(std::string_view key, const std::string& message) {
  std::string full = path_.empty() ? std::string(key) : (key.empty() ? path_ : path_ + "." + std::string(key));
  auto from = diag_.origin.find(full);
  diag_.add((from != diag_.origin.end() ? from->second : where(key)) + ": " + full + ": " + message);
}

void ConfigSection::allow_only(std::initializer_list<std::string_view> also) {
  std::vector<std::string> v = config_child_keys(schema_);
  v.insert(v.end(), also.begin(), also.end());
  allow_only(v);
}

void ConfigSection::allow_only(const std::vector<std::string>& allowed) {
  if (!node_ || node_.IsNull()) return;
  if (!node_.IsMap()) {
    diag_.add(where() + ": " + (path_.empty() ? "config" : path_) + ": expected a mapping");
    return;
  }
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string k = it->first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    auto m = it->first.Mark();
    std::string loc = file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    diag_.add(loc + ": unknown key '" + (path_.empty() ? k : path_ + "." + k) + "'; accepted keys: " + list);
  }
}

bool ConfigSection::has(std::string_view key) const {
  return node_ && node_.IsMap() && node_[std::string(key)] && !node_[std::string(key)].IsNull();
}

template <typename T>
bool ConfigSection::scalar(std::string_view key, T& out, const char* type_name) {
  const std::string k(key);
  if (!node_ || !node_.IsMap() || !node_[k] || node_[k].IsNull()) {
    if (node_ && (node_.IsMap() || node_.IsNull())) node_[k] = out;  // materialise the default
    return false;
  }
  YAML::Node v = node_[k];
  if (!v.IsScalar()) {
    error(key, std::string("expected ") + type_name);
    return false;
  }
  try {
    out = v.as<T>();
    return true;
  } catch (const YAML::Exception&) {
    error(key, std::string("expected ") + type_name + ", got '" + v.Scalar() + "'");
    return false;
  }
}

void ConfigSection::get(std::string_view key, std::string& out) {
  const KeySpec* k = spec(key);
  if (!scalar(key, out, "a string") || !k || k->type != KeyType::choice) return;
  std::string list;
  for (std::string_view rest = k->choices; !rest.empty();) {
    auto bar = rest.find('|');
    std::string_view c = rest.substr(0, bar);
    if (c == out) return;
    list += (list.empty() ? "" : ", ") + std::string(c);
    rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
  }
  error(key, "'" + out + "' is not one of: " + list);
}

void ConfigSection::get(std::string_view key, bool& out) {
  spec(key);
  scalar(key, out, "a boolean (true/false)");
}

void ConfigSection::get(std::string_view key, std::int64_t& out) {
  const KeySpec* k = spec(key);
  const std::string name(key);
  if (k && k->type == KeyType::duration && has(key) && node_[name].IsScalar()) {
    std::string err;
    if (!parse_duration_in(node_[name].Scalar(), k->unit, out, err)) {
      error(key, err);
      return;
    }
  } else if (!scalar(key, out, "an integer")) {
    return;
  }
  if (k && (static_cast<double>(out) < k->lo || static_cast<double>(out) > k->hi)) {
    error(key, "must be between " + between(*k) + ", got " + std::to_string(out));
  }
}

void ConfigSection::get(std::string_view key, int& out) {
  std::int64_t v = out;
  get(key, v);
  out = static_cast<int>(v);
}

void ConfigSection::get(std::string_view key, double& out) {
  const KeySpec* k = spec(key);
  if (scalar(key, out, "a number") && k && (out < k->lo || out > k->hi)) error(key, "must be between " + between(*k));
}

void ConfigSection::get(std::string_view key, std::vector<std::string>& out) {
  spec(key);
  const std::string k(key);
  if (!has(key)) {
    if (node_ && (node_.IsMap() || node_.IsNull())) node_[k] = out;
    return;
  }
  YAML::Node v = node_[k];
  if (v.IsScalar()) {
    out = {v.Scalar()};
    return;
  }
  if (!v.IsSequence()) {
    error(key, "expected a list of strings");
    return;
  }
  out.clear();
  for (const auto& item : v) {
    if (!item.IsScalar()) {
      error(key, "expected a list of strings");
      return;
    }
    out.push_back(item.Scalar());
  }
}

void ConfigSection::get_listen(std::string_view key, std::string& host, int& port) {
  spec(key);
  std::string v = host + ":" + std::to_string(port);
  if (!scalar(key, v, "HOST:PORT")) return;
  auto colon = v.rfind(':');
  if (colon == std::string::npos || colon + 1 >= v.size()) {
    error(key, "expected HOST:PORT, got '" + v + "'");
    return;
  }
  try {
    std::size_t used = 0;
    int p = std::stoi(v.substr(colon + 1), &used);
    if (used != v.size() - colon - 1 || p < 0 || p > 65535) throw std::out_of_range("port");
    host = v.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "0.0.0.0";
    port = p;
  } catch (const std::exception&) {
    error(key, "expected HOST:PORT with a port 0-65535, got '" + v + "'");
  }
}

ConfigSection ConfigSection::child(std::string_view key) {
  const std::string k(key);
  std::string path = path_.empty() ? k : path_ + "." + k;
  std::string schema = schema_.empty() ? k : schema_ + "." + k;
  if (!node_ || !(node_.IsMap() || node_.IsNull()))
    return ConfigSection(YAML::Node(YAML::NodeType::Map), file_, path, schema, diag_);
  YAML::Node c = node_[k];
  if (!c || c.IsNull()) {
    node_[k] = YAML::Node(YAML::NodeType::Map);
    c = node_[k];
  } else if (!c.IsMap()) {
    error(key, "expected a mapping");
    return ConfigSection(YAML::Node(YAML::NodeType::Map), file_, path, schema, diag_);
  }
  return ConfigSection(c, file_, path, schema, diag_);
}

std::vector<ConfigSection> ConfigSection::list(std::string_view key) {
  const std::string k(key);
  std::vector<ConfigSection> out;
  if (!has(key)) return out;
  YAML::Node v = node_[k];
  if (!v.IsSequence()) {
    error(key, "expected a list");
    return out;
  }
  const std::string schema = (schema_.empty() ? k : schema_ + "." + k) + "[]";
  std::size_t i = 0;
  for (auto item : v) {
    std::string path = (path_.empty() ? k : path_ + "." + k) + "[" + std::to_string(i++) + "]";
    if (!item.IsMap()) {
      auto m = item.Mark();
      diag_.add(file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " + path +
                ": expected a mapping");
      continue;
    }
    out.push_back(ConfigSection(item, file_, path, schema, diag_));
  }
  return out;
}

}  // namespace selfheal::app
