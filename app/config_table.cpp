// Lookups over the config key table and what is generated from it: `config keys`, `config example`,
// the SELFHEAL_* names and duration parsing. The rows are in app/config_keys*.cpp.
#include "app/config_table.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <unordered_map>

#include "schema/time_format.hpp"

namespace selfheal::app {
namespace {

std::string parent_of(std::string_view path) {
  auto dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string() : std::string(path.substr(0, dot));
}

std::string leaf_of(std::string_view path) {
  auto dot = path.rfind('.');
  return std::string(dot == std::string_view::npos ? path : path.substr(dot + 1));
}

struct Index {
  std::unordered_map<std::string, const KeySpec*> by_path;
  std::map<std::string, std::vector<std::string>, std::less<>> children;
  Index() {
    for (const auto& k : config_keys()) {
      by_path.emplace(k.path, &k);
      children[parent_of(k.path)].push_back(leaf_of(k.path));
    }
  }
};

const Index& index() {
  static const Index idx;
  return idx;
}

std::string number_text(double v) {
  if (std::fabs(v) < 9e15 && v == std::floor(v)) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool needs_quotes(const KeySpec& k, const std::string& v) {
  if (v.empty()) return true;
  if (k.type == KeyType::choice || k.type == KeyType::string) {
    // Text that YAML would read as something else, or that carries YAML syntax.
    if (v == "true" || v == "false" || v == "null" || v == "~") return true;
    if (v.find_first_not_of("0123456789.-+eE") == std::string::npos) return true;
  }
  if (std::string("-?:,[]{}#&*!|>'\"%@`.").find(v.front()) != std::string::npos) return true;
  return v.find(": ") != std::string::npos || v.find(" #") != std::string::npos;
}

std::string yaml_value(const KeySpec& k) {
  switch (k.type) {
    case KeyType::list:
      return k.dflt.empty() ? "[]" : k.dflt;
    case KeyType::map:
      return "{}";
    case KeyType::items:
      return "[]";
    default:
      break;
  }
  if (!needs_quotes(k, k.dflt)) return k.dflt;
  std::string q = "\"";
  for (char c : k.dflt) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

std::string comment(const KeySpec& k) {
  std::string c = k.doc;
  std::string extra = k.unit;
  const std::string range = describe_range(k);
  if (!range.empty() && k.type != KeyType::choice) extra += (extra.empty() ? "" : ", ") + range;
  if (k.type == KeyType::choice) extra += (extra.empty() ? "" : ", ") + range;
  if (!extra.empty()) c += " (" + extra + ")";
  return c;
}

// Writes the keys below `parent` at `indent`; `prefix` is "" or "# " for a commented-out list item.
void emit(std::ostringstream& out, const std::string& parent, int indent, const std::string& prefix) {
  const auto& kids = config_child_keys(parent);
  bool first_in_item = parent.ends_with("[]");
  for (const auto& name : kids) {
    std::string path = parent;
    if (!path.empty()) path += '.';
    path += name;
    const KeySpec* k = find_config_key(path);
    std::string pad(static_cast<std::size_t>(indent), ' ');
    std::string lead;
    if (parent.ends_with("[]")) {
      pad = std::string(static_cast<std::size_t>(indent - 2), ' ') + (first_in_item ? "- " : "  ");
      first_in_item = false;
    }
    // Commented out: inside a commented block, a derived default, and every list of mappings (an
    // empty list is the default, and an item is shown as a template).
    const bool commented = !prefix.empty() || k->derived || k->type == KeyType::items;
    lead = commented ? "# " : "";
    if (parent.empty()) out << "\n";
    if (k->type == KeyType::section) {
      out << lead << pad << name << ":  # " << k->doc << "\n";
      emit(out, path, indent + 2, lead);
    } else if (k->type == KeyType::items) {
      out << lead << pad << name << ":  # " << k->doc << "; each item:\n";
      emit(out, path + "[]", indent + 4, "# ");
    } else {
      out << lead << pad << name << ": " << yaml_value(*k) << "  # " << comment(*k) << "\n";
    }
  }
}

}  // namespace

const KeySpec* find_config_key(std::string_view path) {
  const auto& m = index().by_path;
  auto it = m.find(std::string(path));
  return it == m.end() ? nullptr : it->second;
}

const std::vector<std::string>& config_child_keys(std::string_view parent) {
  static const std::vector<std::string> none;
  const auto& m = index().children;
  auto it = m.find(parent);
  return it == m.end() ? none : it->second;
}

std::string_view to_string(KeyType t) {
  switch (t) {
    case KeyType::string:
      return "string";
    case KeyType::boolean:
      return "bool";
    case KeyType::integer:
      return "integer";
    case KeyType::number:
      return "number";
    case KeyType::duration:
      return "duration";
    case KeyType::choice:
      return "choice";
    case KeyType::listen:
      return "host:port";
    case KeyType::list:
      return "list";
    case KeyType::map:
      return "map";
    case KeyType::section:
      return "section";
    case KeyType::items:
      return "items";
  }
  return "?";
}

std::string describe_range(const KeySpec& k) {
  if (k.type == KeyType::choice) {
    std::string out = "one of ";
    for (char c : k.choices) out += c == '|' ? std::string(", ") : std::string(1, c);
    return out;
  }
  if (k.type == KeyType::integer || k.type == KeyType::number || k.type == KeyType::duration)
    return number_text(k.lo) + ".." + number_text(k.hi);
  return {};
}

std::string render_config_keys() {
  std::ostringstream out;
  out << "# key  type  default  [unit, range]  doc. Durations: a plain number is in the key's unit; or write "
         "250ms, 30s, 5m, 1h, 2d.\n";
  for (const auto& k : config_keys()) {
    out << k.path << "  " << to_string(k.type);
    if (k.type != KeyType::section && k.type != KeyType::items)
      out << "  " << (k.derived ? "(derived)" : yaml_value(k));
    std::string extra = k.unit;
    if (auto r = describe_range(k); !r.empty()) extra += (extra.empty() ? "" : ", ") + r;
    if (!extra.empty()) out << "  [" << extra << "]";
    if (auto env = env_name(k); !env.empty()) out << "  $" << env;
    out << "  " << k.doc << "\n";
  }
  return out.str();
}

std::string render_config_example() {
  std::ostringstream out;
  out << "# selfheal configuration: every key with its built-in default and a doc line. Generated by\n"
         "# `selfheal config example` from the key table (app/config_keys*.cpp); a test keeps this file equal\n"
         "# to it, so edit the table and regenerate: build/selfheal config example > deploy/selfheal.example.yaml\n"
         "# Every key is optional. Check a file with: selfheal config check --config FILE [--explain]\n"
         "# Precedence: defaults < this file < SELFHEAL_<PATH> environment (`config keys`) < command-line flags.\n"
         "# Durations: a plain number is in the key's unit (ms, s, min, d); or write 250ms, 30s, 5m, 1h, 2d.\n"
         "# Secrets are never written here: `*_env` keys name environment variables that hold them.\n"
         "# Lists of mappings (sources, strategies, channels, tokens) are shown as a commented-out item.\n";
  emit(out, "", 0, "");
  return out.str();
}

std::string env_name(const KeySpec& k) {
  if (k.path.find("[]") != std::string::npos) return {};
  switch (k.type) {
    case KeyType::section:
    case KeyType::items:
    case KeyType::map:
    case KeyType::list:
      return {};
    default:
      break;
  }
  std::string out = "SELFHEAL_";
  for (char c : k.path) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool parse_duration_in(std::string_view text, std::string_view unit, std::int64_t& out, std::string& error) {
  if (text.empty()) {
    error = "expected a duration";
    return false;
  }
  const bool plain =
      text.find_first_not_of("0123456789") == std::string_view::npos ||
      (text[0] == '-' && text.size() > 1 && text.find_first_not_of("0123456789", 1) == std::string_view::npos);
  if (plain) {
    try {
      out = std::stoll(std::string(text));
      return true;
    } catch (const std::exception&) {
      error = "'" + std::string(text) + "' is out of range";
      return false;
    }
  }
  auto ms = parse_duration_ms(text);
  if (!ms) {
    error = "expected an integer (" + std::string(unit) + ") or a duration with ms, s, m, h or d, got '" +
            std::string(text) + "'";
    return false;
  }
  const std::int64_t per = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "min" ? 60'000 : 86'400'000;
  if (*ms % per != 0) {
    error = "'" + std::string(text) + "' is not a whole number of " + std::string(unit);
    return false;
  }
  out = *ms / per;
  return true;
}

}  // namespace selfheal::app
