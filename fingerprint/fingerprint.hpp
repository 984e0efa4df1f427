#pragma once
// Public API of the fingerprint module: one stitched event in, one Fingerprint value out.
// Pure: no I/O, no globals. See fingerprint/README.md for the contract and invariants.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace selfheal::fingerprint {

/// Version of the id algorithm. It is the first component of every hashed encoding, so a
/// deliberate change of ids is visible; bump it on any change that moves an id.
inline constexpr int algorithm_version = 2;

struct Frame {
  std::string module;    ///< Java class / Python module / Go package path / JS file stem
  std::string function;  ///< normalised function name (generated counters removed)
  std::string file;      ///< file name as printed (never hashed)
  int line = 0;          ///< line number as printed (never hashed)
  bool in_app = false;   ///< not runtime / stdlib / framework / test-harness code
};

struct Fingerprint {
  std::string id;                   ///< 16 lowercase hex chars: first 64 bits of SHA-256
  std::string template_text;        ///< normalised message with <*> (trace: type + normalised value)
  std::string exception_type;       ///< root cause type, empty if none
  std::vector<Frame> frames;        ///< frames of the root-cause exception, in_app flagged
  std::vector<std::string> values;  ///< raw text behind each <*>, in order (capped)
  bool truncated = false;           ///< event was cut at max_event_bytes
};

struct Options {
  std::size_t max_event_bytes = 256 * 1024;
  /// User masks applied before the built-in scanner: (name, RE2 pattern). Matches become <*>.
  std::vector<std::pair<std::string, std::string>> user_masks;
  /// At most this many app frames (crash side first, recursion collapsed, error helpers
  /// skipped) make a trace's id. Part of the algorithm: changing it moves ids.
  std::size_t max_grouping_frames = 1;
  /// Hash only the class/module of the grouping frames, not the function (one bug often fails
  /// in several methods of one class). Part of the algorithm: changing it moves ids.
  bool frame_module_only = true;
  /// Fill Fingerprint::values (the raw text behind each <*>). Not part of the algorithm: the
  /// CLI's learn mode needs ids and templates only and skips the copies.
  bool keep_values = true;
  /// Slots of the recent-message cache (a power of two; 0 turns it off). A line, or the message
  /// after its header, seen among the last few thousand gets its result again without the
  /// scanner. Not part of the algorithm: the result is the same either way.
  std::size_t recent_messages = 4096;
  /// Slots of the shape memo (a power of two, two ways per bucket; below 2 turns it off), used only
  /// when keep_values is off. A single plain or logfmt line whose shape (the line with every digit
  /// written as '0') was seen before gets that shape's template and id without the scanner: no rule
  /// reads a digit's value, only that it is a digit, and templates hold no digits (a result that
  /// does is not kept); JSON lines bypass it. Not part of the algorithm: the result is the same
  /// either way (tests/fingerprint/fingerprint_test.cpp, fingerprint/README.md).
  std::size_t shape_memo = 1 << 15;
};

namespace detail {
class EngineState;
}

/// Computes fingerprints. NOT thread-safe: keep one per thread. Holds a bounded id cache keyed
/// by XXH3 of the canonical encoding and one reused EVP digest context.
class Engine {
 public:
  explicit Engine(Options opts = {});
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// event_text is one stitched event (may be multi-line, any bytes). Never throws on input.
  Fingerprint compute(std::string_view event_text);
  /// Same as compute, into `out`, reusing its buffers (for loops over many events).
  void compute_into(std::string_view event_text, Fingerprint& out);
  /// The components that made the id, as a JSON object (string).
  std::string explain_json(std::string_view event_text);
  /// Id of an already normalised message template (used for learned merges).
  std::string id_for_template(std::string_view template_text);

 private:
  std::unique_ptr<detail::EngineState> state_;
};

/// Id for user fingerprint rules / custom keys: same hashing scheme, different domain tag.
std::string custom_id(std::string_view rule_name, std::string_view key);

}  // namespace selfheal::fingerprint
