// Query parameters and error answers, one way for every app/api_*.cpp route (app/http_util.hpp).
#include <httplib.h>

#include <charconv>
#include <cmath>
#include <cstdio>

#include "app/context.hpp"
#include "app/http_util.hpp"

namespace selfheal::app {

QueryParams::QueryParams(const httplib::Request& req) : params_(req.params) {}

bool QueryParams::has(std::string_view name) const {
  return params_.count(std::string(name)) > 0;
}

std::string QueryParams::raw(std::string_view name) const {
  auto it = params_.find(std::string(name));
  return it == params_.end() ? std::string() : it->second;
}

void QueryParams::fail(std::string_view name, const std::string& what) {
  if (!error_.empty()) return;  // the first problem is the one answered
  std::string got = raw(name);
  if (got.size() > 32) got = got.substr(0, 32) + "...";
  error_ = std::string(name) + ": " + what + " (got '" + got + "')";
}

void QueryParams::only(std::initializer_list<std::string_view> accepted) {
  std::string list;
  for (auto a : accepted) list += (list.empty() ? "" : ", ") + std::string(a);
  for (const auto& [name, value] : params_) {
    if (!error_.empty()) return;
    bool known = false;
    for (auto a : accepted) known = known || a == name;
    if (!known)
      error_ = "unknown parameter '" + name.substr(0, 64) + "'; accepted: " + list;
    else if (params_.count(name) > 1)
      error_ = "parameter '" + name + "' given more than once";
  }
}

std::string QueryParams::text(std::string_view name, std::size_t max_size) {
  std::string v = text(name);
  if (v.size() <= max_size) return v;
  fail(name, "at most " + std::to_string(max_size) + " characters");
  return {};
}

std::string QueryParams::text(std::string_view name, std::string dflt) const {
  return has(name) ? raw(name) : std::move(dflt);
}

std::string QueryParams::choice(std::string_view name, std::initializer_list<std::string_view> choices,
                                std::string dflt) {
  if (!has(name)) return dflt;
  std::string v = raw(name);
  std::string list;
  for (auto c : choices) {
    if (c == v) return v;
    list += (list.empty() ? "" : ", ") + std::string(c);
  }
  fail(name, "one of " + list);
  return dflt;
}

std::int64_t QueryParams::integer(std::string_view name, std::int64_t dflt, std::int64_t lo, std::int64_t hi) {
  if (!has(name)) return dflt;
  const std::string v = raw(name);
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc{} || end != v.data() + v.size() || n < lo || n > hi) {
    fail(name, "an integer between " + std::to_string(lo) + " and " + std::to_string(hi));
    return dflt;
  }
  return n;
}

double QueryParams::number(std::string_view name, double dflt, double lo, double hi) {
  if (!has(name)) return dflt;
  const std::string v = raw(name);
  double d = 0;
  std::size_t used = 0;
  try {
    d = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (v.empty() || used != v.size() || !std::isfinite(d) || d < lo || d > hi) {
    char range[64];
    std::snprintf(range, sizeof range, "a number between %g and %g", lo, hi);
    fail(name, range);
    return dflt;
  }
  return d;
}

bool QueryParams::failed(httplib::Response& res) const {
  if (error_.empty()) return false;
  json_error(res, 400, error_);
  return true;
}

void send_error(httplib::Response& res, const Error& e) {
  const int status = http_status(e.code);
  if (status == 429) res.set_header("Retry-After", "1");
  json_error(res, status, e.message);
}

}  // namespace selfheal::app
