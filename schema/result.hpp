#pragma once
// One result type for the whole project: an std::expected-like Result<T> over a bounded ErrorCode.
// Exceptions from third-party libraries are caught at module edges and turned into Error.
#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace selfheal {

/// Bounded set of error classes; safe to use as a metric label.
enum class ErrorCode {
  bad_input,      // malformed record / request body: count, dead-letter, move on
  too_large,      // over a configured size limit
  unauthorized,   // missing or wrong token
  not_found,      // unknown id
  conflict,       // state does not allow the operation
  overloaded,     // queue full: retry later (HTTP 429)
  unavailable,    // environment: peer down, timeout, disk full; retry with backoff
  permanent,      // a peer said never retry (e.g. HTTP 410, insufficient quota)
  config,         // invalid configuration, fail fast at start
  internal,       // a bug: an invariant did not hold
};

constexpr std::string_view to_string(ErrorCode c) {
  switch (c) {
    case ErrorCode::bad_input: return "bad_input";
    case ErrorCode::too_large: return "too_large";
    case ErrorCode::unauthorized: return "unauthorized";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::overloaded: return "overloaded";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::permanent: return "permanent";
    case ErrorCode::config: return "config";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}       // NOLINT(google-explicit-constructor)

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { assert(has_value()); return std::get<0>(v_); }
  const T& value() const& { assert(has_value()); return std::get<0>(v_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { assert(!has_value()); return std::get<1>(v_); }
  template <typename U>
  T value_or(U&& fallback) const& { return has_value() ? value() : static_cast<T>(std::forward<U>(fallback)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { assert(ok_); }
  const Error& error() const { assert(!ok_); return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

inline Result<void> ok() { return {}; }

}  // namespace selfheal
