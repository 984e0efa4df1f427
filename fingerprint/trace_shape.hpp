#pragma once
// What a stack trace looks like, per language: the one table. The stitcher (which lines join an
// event), the stack-trace parser (which lines are frames and chain links) and the sources'
// severity check (does this text hold a trace) all read their line shapes from here.
// Pure; tolerant of any bytes.
#include <span>
#include <string_view>

namespace selfheal::fingerprint {

enum class TraceLanguage { none, java, python, go, javascript, dotnet, ruby, php };

/// The marker texts. Each is written here once; the table below and the parser use these names.
namespace marker {
// Java / JVM
inline constexpr std::string_view frame_at = "at ";  // also .NET and Node.js frames
inline constexpr std::string_view caused_by = "Caused by:";
inline constexpr std::string_view suppressed = "Suppressed:";
inline constexpr std::string_view thread_exception = "Exception in thread ";
inline constexpr std::string_view elided = "...";  // "... 12 more", "... 3 common frames omitted"
// Python
inline constexpr std::string_view traceback = "Traceback (most recent call last)";
inline constexpr std::string_view python_file = "File \"";
inline constexpr std::string_view during_handling = "During handling of the above exception";
inline constexpr std::string_view direct_cause = "The above exception was the direct cause";
// Go
inline constexpr std::string_view goroutine = "goroutine ";  // "goroutine 1 [running]:"
inline constexpr std::string_view panic = "panic: ";
inline constexpr std::string_view fatal_error = "fatal error: ";
inline constexpr std::string_view signal = "[signal ";
inline constexpr std::string_view created_by = "created by ";
inline constexpr std::string_view exit_status = "exit status ";
inline constexpr std::string_view go_file = ".go:";
// .NET
inline constexpr std::string_view end_of = "--- End of ";  // "... inner exception stack trace ---"
inline constexpr std::string_view unhandled = "Unhandled exception. ";
inline constexpr std::string_view unhandled_old = "Unhandled Exception: ";
// Node.js
inline constexpr std::string_view cause = "[cause]:";
inline constexpr std::string_view node_version = "Node.js v";
// Ruby
inline constexpr std::string_view ruby_from = "from ";
// PHP
inline constexpr std::string_view php_next = "Next ";
inline constexpr std::string_view php_stack_trace = "Stack trace:";
inline constexpr std::string_view php_thrown_in = "thrown in ";
inline constexpr std::string_view php_fatal = "PHP Fatal error:";
}  // namespace marker

/// What a line (without its indent) says about the trace around it.
enum class TraceMark : unsigned char {
  frame,  ///< a frame by its own shape ("at x", "File \"x\"", "from x"); counts when indented
  link,   ///< links or closes parts of a trace at any indent ("Caused by:", "--- End of ")
  start,  ///< opens a trace at the left margin ("Traceback (most recent call last)", "panic: ")
};

struct TraceMarker {
  std::string_view prefix;
  std::string_view suffix;  ///< the line must also end with this ("" = anything)
  TraceLanguage language;
  TraceMark mark;
  bool ends_message;  ///< a multi-line exception message is over once this line comes
};

/// The table, in the order it is matched.
std::span<const TraceMarker> trace_markers();

/// The first row of kind `mark` that `trimmed` matches (prefix, and suffix if the row has one), or null.
const TraceMarker* match_marker(std::string_view trimmed, TraceMark mark);

/// "... 12 more", "... 3 common frames omitted" (after trimming).
bool is_elided_frames(std::string_view trimmed);
/// "#0 /app/x.php(3): f()" (PHP, gdb): a numbered frame.
bool is_numbered_frame(std::string_view trimmed);
/// A frame by its shape: a frame marker, an absolute "path:line", or a Go file line.
bool is_frame_shaped(std::string_view trimmed);
/// A frame row or a link row that ends a multi-line exception message (see TraceMarker::ends_message).
bool ends_exception_message(std::string_view trimmed);
/// "pkg.SomeException: msg", "ValueError: x", "TypeError": a type-looking first word.
bool is_exception_line(std::string_view trimmed);
/// Go frame function line: "main.main()", "net/http.(*conn).serve(0xc000123)".
bool is_go_function_line(std::string_view trimmed);
/// Ruby's first trace line: "app/cart.rb:6:in 'Integer#/': divided by 0 (ZeroDivisionError)".
bool is_ruby_head_line(std::string_view trimmed);

/// True if the text holds a stack trace of a known shape: an indented frame line after a newline
/// ("\tat", "    at", "\tfrom"), a Python traceback header, a goroutine dump or a "Caused by:" chain.
bool contains_stack_trace(std::string_view text);

}  // namespace selfheal::fingerprint
