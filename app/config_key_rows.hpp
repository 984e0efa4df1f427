#pragma once
// Internal to the key table (app/config_keys*.cpp): a builder of KeySpec rows under a parent path.
#include <cstdint>
#include <string>
#include <vector>

#include "app/config_table.hpp"

namespace selfheal::app {

inline constexpr double kDayMs = 86'400'000.0;
inline constexpr double kDaySecs = 86'400.0;

class Rows {
 public:
  std::vector<KeySpec> out;
  std::string at;  // current parent path

  Rows& in(std::string parent) {
    at = std::move(parent);
    return *this;
  }
  void section(const std::string& name, std::string doc) { add(name, KeyType::section, "", 0, 0, "", "", doc); }
  void items(const std::string& name, std::string doc) { add(name, KeyType::items, "", 0, 0, "", "", doc); }
  void str(const std::string& name, std::string dflt, std::string doc) {
    add(name, KeyType::string, std::move(dflt), 0, 0, "", "", doc);
  }
  void flag(const std::string& name, bool dflt, std::string doc) {
    add(name, KeyType::boolean, dflt ? "true" : "false", 0, 0, "", "", doc);
  }
  void integer(const std::string& name, std::int64_t dflt, double lo, double hi, std::string unit, std::string doc) {
    add(name, KeyType::integer, std::to_string(dflt), lo, hi, "", std::move(unit), doc);
  }
  void duration(const std::string& name, std::int64_t dflt, double lo, double hi, std::string unit, std::string doc) {
    add(name, KeyType::duration, std::to_string(dflt), lo, hi, "", std::move(unit), doc);
  }
  void number(const std::string& name, std::string dflt, double lo, double hi, std::string doc) {
    add(name, KeyType::number, std::move(dflt), lo, hi, "", "", doc);
  }
  void choice(const std::string& name, std::string dflt, std::string choices, std::string doc) {
    add(name, KeyType::choice, std::move(dflt), 0, 0, std::move(choices), "", doc);
  }
  void list(const std::string& name, std::string dflt, std::string doc) {
    add(name, KeyType::list, std::move(dflt), 0, 0, "", "", doc);
  }
  void map(const std::string& name, std::string doc) { add(name, KeyType::map, "", 0, 0, "", "", doc); }
  void listen(const std::string& name, std::string dflt, std::string doc) {
    add(name, KeyType::listen, std::move(dflt), 0, 0, "", "", doc);
  }
  void derived() { out.back().derived = true; }

 private:
  void add(const std::string& name, KeyType t, std::string dflt, double lo, double hi, std::string choices,
           std::string unit, std::string& doc) {
    KeySpec k;
    k.path = at.empty() ? name : at + "." + name;
    k.type = t;
    k.dflt = std::move(dflt);
    k.lo = lo;
    k.hi = hi;
    k.choices = std::move(choices);
    k.unit = std::move(unit);
    k.doc = std::move(doc);
    out.push_back(std::move(k));
  }
};

inline const char* const kSeverities = "debug|info|warning|error|critical";
inline const char* const kLevels = "critical|warning|info";

void healer_keys(Rows& r);  // app/config_keys_healer.cpp
void llm_keys(Rows& r);     // app/config_keys_healer.cpp
void otlp_keys(Rows& r);    // app/config_keys_otlp.cpp
void syslog_keys(Rows& r);  // app/config_keys_syslog.cpp

}  // namespace selfheal::app
