#include "fingerprint/trace_shape.hpp"

#include <array>
#include <string>

namespace selfheal::fingerprint {
namespace {

using sv = std::string_view;
bool starts_with(sv s, sv p) { return s.substr(0, p.size()) == p; }
bool ends_with(sv s, sv p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }

bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c == '.';
}

using L = TraceLanguage;
using M = TraceMark;
namespace mk = marker;

// clang-format off
constexpr std::array<TraceMarker, 24> table = {{
    // prefix                 suffix  language        mark      ends a multi-line message
    {mk::frame_at,            "",     L::java,        M::frame, true},   // Java, .NET, Node.js
    {mk::python_file,         "",     L::python,      M::frame, true},
    {mk::ruby_from,           "",     L::ruby,        M::frame, true},
    {mk::caused_by,           "",     L::java,        M::link,  true},
    {mk::suppressed,          "",     L::java,        M::link,  false},
    {mk::during_handling,     "",     L::python,      M::link,  false},
    {mk::direct_cause,        "",     L::python,      M::link,  false},
    {mk::end_of,              "",     L::dotnet,      M::link,  false},
    {mk::cause,               "",     L::javascript,  M::link,  false},
    {mk::php_next,            "",     L::php,         M::link,  false},
    {mk::php_stack_trace,     "",     L::php,         M::link,  true},
    {mk::php_thrown_in,       "",     L::php,         M::link,  false},
    {mk::node_version,        "",     L::javascript,  M::link,  false},
    {mk::goroutine,           ":",    L::go,          M::link,  true},
    {mk::signal,              "",     L::go,          M::link,  false},
    {mk::created_by,          "",     L::go,          M::link,  false},
    {mk::exit_status,         "",     L::go,          M::link,  false},
    {mk::traceback,           "",     L::python,      M::start, false},
    {mk::panic,               "",     L::go,          M::start, false},
    {mk::fatal_error,         "",     L::go,          M::start, false},
    {mk::thread_exception,    "",     L::java,        M::start, false},
    {mk::unhandled,           "",     L::dotnet,      M::start, false},
    {mk::unhandled_old,       "",     L::dotnet,      M::start, false},
    {mk::php_fatal,           "",     L::php,         M::start, false},
}};
// clang-format on

}  // namespace

std::span<const TraceMarker> trace_markers() { return table; }

const TraceMarker* match_marker(std::string_view s, TraceMark mark) {
  for (const auto& m : table)
    if (m.mark == mark && starts_with(s, m.prefix) && (m.suffix.empty() || ends_with(s, m.suffix))) return &m;
  return nullptr;
}

bool is_elided_frames(std::string_view s) {
  return starts_with(s, marker::elided) && (ends_with(s, "more") || s.find("omitted") != sv::npos);
}

bool is_numbered_frame(std::string_view s) { return s.size() > 1 && s[0] == '#' && s[1] >= '0' && s[1] <= '9'; }

bool is_frame_shaped(std::string_view s) {
  return match_marker(s, TraceMark::frame) != nullptr || (!s.empty() && s[0] == '/' && s.find(':') != sv::npos) ||
         s.find(marker::go_file) != sv::npos;
}

bool ends_exception_message(std::string_view s) {
  // By prefix alone (an indented "goroutine x" ends a message too), or a numbered frame.
  for (const auto& m : table)
    if (m.ends_message && starts_with(s, m.prefix)) return true;
  return is_numbered_frame(s);
}

bool is_exception_line(std::string_view s) {
  auto colon = s.find(':');
  sv t = colon == sv::npos ? s : s.substr(0, colon);
  if (t.empty() || t.size() > 200) return false;
  for (char c : t)
    if (!is_ident(c)) return false;
  return ends_with(t, "Exception") || ends_with(t, "Error") || ends_with(t, "Throwable") ||
         ends_with(t, "Failure") || ends_with(t, "Fault") ||
         (t.find('.') != sv::npos && t.find("Exception") != sv::npos);  // pkg.Outer$FooException$1
}

bool is_go_function_line(std::string_view s) {
  if (s.size() < 3 || s.back() != ')') return false;
  auto open = s.find('(');
  if (open == sv::npos || open == 0) return false;
  for (std::size_t i = 0; i < open; ++i)
    if (s[i] == ' ') return false;
  return s.substr(0, open).find('.') != sv::npos || s.substr(0, open).find('/') != sv::npos;
}

bool is_ruby_head_line(std::string_view s) {
  // "...:in 'Integer#/': divided by 0 (ZeroDivisionError)" (3.4 quotes) or "...:in `/': ..." (older).
  auto in = s.find(":in ");
  if (in == sv::npos || in + 4 >= s.size() || (s[in + 4] != '\'' && s[in + 4] != '`')) return false;
  std::size_t d = in;
  while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9') --d;
  return d < in && d > 1 && s[d - 1] == ':' && s.find("': ", in) != sv::npos;
}

bool contains_stack_trace(std::string_view t) {
  // Frames count only on a line of their own with an indent (tab, or the 3/4 spaces runtimes print).
  static const std::array<std::string, 6> needles = {
      "\n\t" + std::string(marker::frame_at),      "\n    " + std::string(marker::frame_at),
      "\n   " + std::string(marker::frame_at),     "\n" + std::string(marker::goroutine),
      "\n\t" + std::string(marker::ruby_from),     "\n" + std::string(marker::caused_by) + " ",
  };
  if (t.find(needles[0]) != sv::npos || t.find(needles[1]) != sv::npos || t.find(needles[2]) != sv::npos ||
      t.find(marker::traceback) != sv::npos)
    return true;
  for (std::size_t i = 3; i < needles.size(); ++i)
    if (t.find(needles[i]) != sv::npos) return true;
  return false;
}

}  // namespace selfheal::fingerprint
