#pragma once
// The config key table: every key of the YAML config written once, with its type, range or choices,
// default, unit and a doc line (in the spirit of Fluent Bit's config_map). The parsers
// (app/config*.cpp, through ConfigSection) take the type, range, choices and the accepted key names
// from it; `selfheal config keys`, `config check --explain`, `config example` and the SELFHEAL_*
// environment overrides are generated from it, and deploy/selfheal.example.yaml is `config example`
// (tests/app/config_table_test.cpp keeps them equal and checks every default against the structs).
//
// Paths: "server.threads"; a list of mappings is "ingest.kafka[]" and its keys "ingest.kafka[].name".
// Durations: a plain number is in the key's unit (ms, s, min or d); a string takes a unit suffix
// (250ms, 30s, 5m, 1h, 2d) and must be a whole number of the key's unit.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace selfheal::app {

enum class KeyType {
  string,
  boolean,
  integer,   // unit: "" or a counted thing ("bytes", "events", ...)
  number,    // floating point
  duration,  // unit: ms | s | min | d
  choice,    // one of `choices`
  listen,    // HOST:PORT
  list,      // list of strings (a single string is a list of one)
  map,       // mapping of name -> string
  section,   // mapping with keys of its own (rows below it)
  items,     // list of mappings, each with the keys "<path>[].*"
};

struct KeySpec {
  std::string path;
  KeyType type = KeyType::string;
  std::string dflt;       // as written in YAML ("" for an empty string or list; see `derived`)
  double lo = 0, hi = 0;  // integer, number, duration: inclusive range, in `unit`
  std::string choices;    // choice: "a|b|c"
  std::string unit;
  std::string doc;
  bool derived = false;  // the default depends on other keys (the doc says how); shown commented out
};

/// Every key, sections before their keys, in the order of the example file.
const std::vector<KeySpec>& config_keys();
/// The row of `path` (list indices written as "[]"), or nullptr.
const KeySpec* find_config_key(std::string_view path);
/// Names of the keys directly under `parent` ("" for the top level), in table order.
const std::vector<std::string>& config_child_keys(std::string_view parent);

std::string_view to_string(KeyType t);
/// "1..4096", "one of a, b", "" (no range).
std::string describe_range(const KeySpec& k);

/// `selfheal config keys`: one line per key (path, type, default, unit, range, doc).
std::string render_config_keys();
/// `selfheal config example`: deploy/selfheal.example.yaml (every default, each key with its doc).
std::string render_config_example();

/// SELFHEAL_<PATH> (dots to underscores, upper case) of a scalar key outside lists, or "".
std::string env_name(const KeySpec& k);

/// A duration value in `unit` from a plain integer or a string with a unit suffix; nullopt-like
/// false with `error` set when it is not one.
bool parse_duration_in(std::string_view text, std::string_view unit, std::int64_t& out, std::string& error);

}  // namespace selfheal::app
