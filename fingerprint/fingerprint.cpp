#include "fingerprint/fingerprint.hpp"

#include <re2/re2.h>
#include <xxhash.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <bit>
#include <unordered_map>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "fingerprint/hash.hpp"
#include "fingerprint/normalize.hpp"
#include "fingerprint/stack_trace.hpp"
#include "fingerprint/structured.hpp"

namespace selfheal::fingerprint {
namespace detail {
namespace {

using sv = std::string_view;

constexpr std::size_t max_cache_entries = 1 << 16;

struct CacheKey {
  std::uint64_t lo = 0, hi = 0;
  bool operator==(const CacheKey&) const = default;
};
struct CacheKeyHash {
  std::size_t operator()(const CacheKey& k) const noexcept { return static_cast<std::size_t>(k.lo); }
};

// Up to two non-empty lines of a non-trace event, log header removed from the first.
std::string message_text(sv event) {
  std::string out;
  int taken = 0;
  std::size_t pos = 0;
  bool first_line = true;
  while (pos <= event.size() && taken < 2) {
    auto nl = event.find('\n', pos);
    sv line = event.substr(pos, nl == sv::npos ? sv::npos : nl - pos);
    if (first_line) {
      line = strip_header(line);
      first_line = false;
    }
    bool blank = true;
    for (char c : line)
      if (!(c == ' ' || c == '\t' || c == '\r')) blank = false;
    if (!blank) {
      if (taken) out.push_back(' ');
      out.append(line);
      ++taken;
    }
    if (nl == sv::npos) break;
    pos = nl + 1;
  }
  return out;
}

std::string one_line(sv s) {
  auto nl = s.find('\n');
  return std::string(nl == sv::npos ? s : s.substr(0, nl));
}

bool contains(sv s, sv p) { return s.find(p) != sv::npos; }
bool ends_with(sv s, sv p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }

// Frames that only build or raise the error (exception factories, precondition/assert helpers)
// say where the error was reported, not where it arose; they do not group.
bool is_error_helper(const Frame& f) {
  sv mod = f.module;
  sv simple = mod.substr(mod.rfind('.') == sv::npos ? 0 : mod.rfind('.') + 1);
  if (auto d = simple.find('$'); d != sv::npos) simple = simple.substr(0, d);
  if (ends_with(simple, "Exception") || ends_with(simple, "Error") ||
      ends_with(simple, "Exceptions") || ends_with(simple, "Errors") || simple == "Preconditions" ||
      simple == "Assert" || simple == "Assertions")
    return true;
  sv fn = f.function;
  return contains(fn, "Exception") || contains(fn, "Error") || fn.substr(0, 5) == "throw" ||
         fn.substr(0, 5) == "raise";
}

// Which built-in mask a masked value came from (explain only; the hot path does not record it).
const char* mask_kind(sv v) {
  auto count = [&](char c) { return static_cast<std::size_t>(std::count(v.begin(), v.end(), c)); };
  auto all = [&](auto pred) { return !v.empty() && std::all_of(v.begin(), v.end(), pred); };
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  auto is_hex = [&](char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  if (v.find("://") != sv::npos) return "url";
  if (v.find('@') != sv::npos) return "email";
  if (!v.empty() && (v[0] == '/' || v.substr(0, 2) == "./" || v.substr(0, 2) == "~/" || v.substr(0, 3) == "../"))
    return "path";
  if (count(':') >= 2 && all([&](char c) { return is_hex(c) || c == ':' || c == '.' || c == '%'; }))
    return "ipv6_mac_or_time";
  if (count('.') == 3 && all([&](char c) { return is_digit(c) || c == '.'; })) return "ipv4";
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) return "hex";
  if (all([&](char c) { return is_digit(c) || c == '.' || c == '-' || c == '+' || c == ','; })) return "number";
  if (count('-') == 4 && v.size() == 36) return "uuid";
  if (all(is_hex)) return "hex";
  if (std::none_of(v.begin(), v.end(), is_digit)) return "hostname";
  return "id_with_digits";
}

struct FrameChoice {
  std::vector<const Frame*> used;
  std::string basis;  // "app", "test", "library", "none"
};

// Sentry-like: app frames (recursion collapsed) of the root cause; else of the nearest wrapper;
// else the outermost test frame's class + value; else the top library frames + value.
FrameChoice choose_frames(const ParsedTrace& t, std::size_t max_grouping_frames) {
  FrameChoice c;
  auto collect = [&](const ParsedException& e, FrameKind kind) {
    const Frame* prev = nullptr;
    for (std::size_t i = 0; i < e.frames.size() && c.used.size() < max_grouping_frames; ++i) {
      if (e.kinds[i] != kind) continue;
      const Frame& f = e.frames[i];
      if (kind == FrameKind::app && is_error_helper(f)) continue;
      if (prev && prev->module == f.module && prev->function == f.function) continue;
      c.used.push_back(&f);
      prev = &f;
    }
  };
  for (auto it = t.chain.rbegin(); it != t.chain.rend() && c.used.empty(); ++it)
    collect(*it, FrameKind::app);
  if (!c.used.empty()) {
    c.basis = "app";
    return c;
  }
  // Test-harness frames only (e.g. an assertion failure): the outermost test class, i.e. the
  // test the runner started, plus (below) the normalised message.
  for (auto it = t.chain.rbegin(); it != t.chain.rend() && c.used.empty(); ++it) {
    const Frame* last = nullptr;
    for (std::size_t i = 0; i < it->frames.size(); ++i)
      if (it->kinds[i] == FrameKind::test) last = &it->frames[i];
    if (last) c.used.push_back(last);
  }
  if (!c.used.empty()) {
    c.basis = "test";
    return c;
  }
  for (auto it = t.chain.rbegin(); it != t.chain.rend() && c.used.empty(); ++it)
    collect(*it, FrameKind::library);
  c.basis = c.used.empty() ? "none" : "library";
  return c;
}

}  // namespace

class EngineState {
 public:
  explicit EngineState(Options opts) : opts_(std::move(opts)) {
    for (const auto& [name, pattern] : opts_.user_masks) {
      auto re = std::make_unique<RE2>(pattern, RE2::Quiet);
      if (re->ok()) masks_.emplace_back(name, std::move(re));
    }
  }

  std::string id_of(const CanonicalEncoder& enc) {
    std::string id;
    id_into(enc, id);
    return id;
  }
  // Writes the id into `out`, reusing its buffer (the CLI's hot loop calls this per line).
  void id_into(const CanonicalEncoder& enc, std::string& out) {
    const std::string& bytes = enc.bytes();
    const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
    const CacheKey key{h.low64, h.high64};
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.assign(it->second);
      return;
    }
    std::string id = hasher_.short_id(bytes);
    if (cache_.size() >= max_cache_entries) cache_.clear();
    out.assign(id);
    cache_.emplace(key, std::move(id));
  }

  std::string apply_user_masks(std::string text) {
    for (auto& [name, re] : masks_) RE2::GlobalReplace(&text, *re, "<*>");
    return text;
  }

  struct Work {
    Work() : fp(own) {}
    explicit Work(Fingerprint& into) : fp(into) {}  // fills `into` in place (compute_into)
    Fingerprint own;
    Fingerprint& fp;
    ParsedTrace trace;
    FrameChoice choice;
    std::string message;
    std::string structured;  // message + error taken from a JSON / logfmt line
    LineFormat format = LineFormat::plain;
    bool is_trace = false;
    bool explaining = false;  // explain() reads the scanner's intermediate state: no cache
  };

  void run(sv event, Work& w) {
    Fingerprint& fp = w.fp;
    if (event.size() > opts_.max_event_bytes) {
      event = event.substr(0, opts_.max_event_bytes);
      fp.truncated = true;
    }
    const bool plain_line = !fp.truncated && masks_.empty() && !w.explaining && event.find('\n') == sv::npos;
    // The slot the shape memo chose for this line on a miss (shape_lookup, just before), if any.
    ShapeEntry* shape_entry = w.explaining ? nullptr : pending_shape_;
    pending_shape_ = nullptr;
    const LineFormat sniffed = sniff_format(event);
    // One line seen a moment ago, as it came: its result is known (the recent-message cache).
    RecentEntry* line_entry = nullptr;
    if (!recent_.empty() && plain_line && shape_entry == nullptr) {
      line_entry = &recent_slot(event, RecentKind::line);
      if (recent_hit(*line_entry, event, RecentKind::line, fp)) return;
    }
    // A structured line (JSON object, logfmt) counts by what a person reads first: its message
    // and its error; a stack trace held in a string field is parsed as a trace.
    if (sniffed != LineFormat::plain) {
      StructuredLine s = parse_structured(event);
      if (s.format != LineFormat::plain) {
        w.format = s.format;
        w.structured = s.grouping_text();
        event = w.structured;
      }
    }
    // A stack trace needs at least two lines; single lines skip the parser (hot path).
    const bool multi_line = event.find('\n') != sv::npos;
    if (multi_line) {
      try {
        w.trace = parse_stack_trace(event);
      } catch (const std::exception&) {
        // Invariant violation in the parser (a bug, found by fuzzing): fall back to the message
        // path rather than failing the event. Never crash on input.
        w.trace = ParsedTrace{};
      }
    }
    if (multi_line && w.trace.has_trace() && !w.trace.chain.empty()) {
      w.is_trace = true;
      const ParsedException& root = w.trace.chain.back();
      fp.exception_type = normalize_symbol(root.type);
      fp.frames = root.frames;
      w.choice = choose_frames(w.trace, opts_.max_grouping_frames);
      normalize_into(apply_user_masks(one_line(root.value)), norm_);
      fp.template_text = fp.exception_type.empty() ? norm_.text
                         : norm_.text.empty()      ? fp.exception_type
                                                   : fp.exception_type + ": " + norm_.text;
      fp.values = norm_.values;
      enc_.reset("trace", algorithm_version);
      enc_.add("type", fp.exception_type);
      for (const Frame* f : w.choice.used) {
        enc_.add("module", f->module);
        if (!opts_.frame_module_only) enc_.add("function", f->function);
      }
      // Sentry's order of evidence: the value counts only when no app frame does.
      if (w.choice.basis != "app") enc_.add("value", norm_.text);
    } else {
      sv text;
      if (multi_line || !masks_.empty()) {
        w.message = multi_line ? message_text(event) : std::string(strip_header(event));
        if (!masks_.empty()) w.message = apply_user_masks(std::move(w.message));
        text = w.message;
      } else {
        text = strip_header(event);
        // A plain line with a header: the message after it may repeat while the time changes.
        if (line_entry != nullptr && w.format == LineFormat::plain && text.size() != event.size()) {
          RecentEntry& e = recent_slot(text, RecentKind::message);
          if (recent_hit(e, text, RecentKind::message, fp)) return;
          compute_message(text, fp);
          recent_store(e, text, RecentKind::message, fp);
          return;
        }
      }
      compute_message(text, fp);
      if (line_entry != nullptr) recent_store(*line_entry, event, RecentKind::line, fp);
      if (shape_entry != nullptr && !multi_line) shape_store(*shape_entry, fp);
      return;
    }
    id_into(enc_, fp.id);
  }

  // Template, values and id of one message (no trace), as the scanner makes them.
  void compute_message(sv text, Fingerprint& fp) {
    normalize_into(text, norm_);
    fp.template_text = norm_.text;  // a copy keeps norm_'s capacity for the next event
    if (opts_.keep_values && !norm_.values.empty()) {
      fp.values.swap(norm_.values);  // hand over the value strings without copying them
      norm_.values.reserve(16);
    }
    enc_.reset("message", algorithm_version);
    enc_.add("template", fp.template_text);
    id_into(enc_, fp.id);
  }

  // A single plain or logfmt line of a shape seen before: its template and id are known (the shape
  // memo); true then, with fp filled. On a miss, pending_shape_ is the slot run() fills.
  bool shape_lookup(sv event, Fingerprint& fp) {
    pending_shape_ = nullptr;
    if (shapes_.empty() || event.size() > opts_.max_event_bytes || !masks_.empty() ||
        event.find('\n') != sv::npos || sniff_format(event) == LineFormat::json)
      return false;
    ShapeEntry* bucket = shape_bucket(event);
    for (int k = 0; k < 2; ++k) {
      if (bucket[k].used && bucket[k].shape == shape_) {
        bucket[k].recent = true;
        bucket[1 - k].recent = false;
        fp.template_text.assign(bucket[k].template_text);
        fp.id.assign(bucket[k].id);
        return true;
      }
    }
    // The way not used last gives way (an unused one first).
    pending_shape_ = !bucket[0].used ? &bucket[0] : !bucket[1].used ? &bucket[1] : bucket[0].recent ? &bucket[1] : &bucket[0];
    (pending_shape_ == bucket ? bucket[1] : bucket[0]).recent = false;
    return false;
  }

  Fingerprint compute(sv event) {
    Work w;
    if (!shape_lookup(event, w.fp)) run(event, w);
    return std::move(w.fp);
  }

  void compute_into(sv event, Fingerprint& out) {
    out.id.clear();  // out's buffers keep their capacity
    out.template_text.clear();
    out.exception_type.clear();
    out.frames.clear();
    out.values.clear();
    out.truncated = false;
    if (shape_lookup(event, out)) return;  // before building a Work: the hot path of the CLI
    Work w(out);
    run(event, w);
  }

  std::string template_id(sv tmpl) {
    enc_.reset("message", algorithm_version);
    enc_.add("template", tmpl);
    return id_of(enc_);
  }

  std::string explain(sv event) {
    Work w;
    w.explaining = true;
    run(event, w);
    using nlohmann::json;
    json j;
    j["algorithm_version"] = algorithm_version;
    j["id"] = w.fp.id;
    j["kind"] = w.is_trace ? "trace" : "message";
    if (w.format != LineFormat::plain) j["structured"] = w.format == LineFormat::json ? "json" : "logfmt";
    j["template"] = w.fp.template_text;
    j["truncated"] = w.fp.truncated;
    j["values"] = w.fp.values;
    json masks = json::array();
    for (const auto& v : w.fp.values) masks.push_back(mask_kind(v));
    j["masks"] = masks;
    if (!masks_.empty()) {
      json names = json::array();
      for (auto& [name, re] : masks_) names.push_back(name);
      j["user_masks"] = names;
    }
    if (w.is_trace) {
      j["language"] = std::string(to_string(w.trace.language));
      j["exception_type"] = w.fp.exception_type;
      j["frame_basis"] = w.choice.basis;
      json chain = json::array();
      for (const auto& e : w.trace.chain) chain.push_back({{"type", e.type}, {"frames", e.frames.size()}});
      j["chain"] = chain;
      j["components"] = json::array({"type:" + w.fp.exception_type});
      for (const Frame* f : w.choice.used)
        j["components"].push_back(opts_.frame_module_only ? "frame:" + f->module
                                                          : "frame:" + f->module + "." + f->function);
      if (w.choice.used.empty()) j["components"].push_back("value:" + w.fp.template_text);
      json frames = json::array();
      const ParsedException& root = w.trace.chain.back();
      for (std::size_t i = 0; i < root.frames.size(); ++i) {
        const Frame& f = root.frames[i];
        bool used = false;
        for (const Frame* u : w.choice.used) used = used || u == &f;
        const char* why = used ? "used"
                          : root.kinds[i] == FrameKind::library ? "skipped: runtime/library frame"
                          : root.kinds[i] == FrameKind::test    ? "skipped: test-harness frame"
                          : is_error_helper(f) ? "skipped: builds or raises the error"
                                               : "skipped: beyond the frame limit or recursion";
        frames.push_back({{"module", f.module}, {"function", f.function}, {"file", f.file},
                          {"line", f.line}, {"in_app", f.in_app}, {"why", why}});
      }
      j["frames"] = frames;
      j["line_numbers_hashed"] = false;
    } else {
      sv shown = w.format != LineFormat::plain ? sv(w.structured) : event;
      j["message"] = w.message.empty() ? std::string(strip_header(shown.substr(0, 4096))) : w.message;
      j["components"] = json::array({"template:" + w.fp.template_text});
    }
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }

 private:
  Options opts_;
  std::vector<std::pair<std::string, std::unique_ptr<RE2>>> masks_;
  Sha256Hasher hasher_;
  CanonicalEncoder enc_{"", algorithm_version};
  Normalized norm_;
  // Invariant: maps XXH3-128 of the canonical encoding to its SHA-256 id; bounded by
  // max_cache_entries. 128 bits make a wrong hit practically impossible (~2^-96 per lookup).
  std::unordered_map<CacheKey, std::string, CacheKeyHash> cache_;

  // Recent-message cache: direct-mapped by XXH3 of the message text (after the header), the text
  // kept to compare, so a hit is exact. Logs repeat whole messages within a short window (43 % of
  // the lines of the 16 public logs repeat one of the last 1,024); 4,096 slots catch those and
  // nothing older, and the result is the one the scanner gives (same template, values, id).
  // A key is a whole line as it came, or the message after a line's header: the same text can
  // be both and give two results, so the kind is part of the key.
  enum class RecentKind : std::uint8_t { empty, line, message };
  struct RecentEntry {
    RecentKind kind = RecentKind::empty;
    std::string text, template_text, id;
    std::vector<std::string> values;
  };
  std::vector<RecentEntry> recent_ = std::vector<RecentEntry>(std::bit_floor(opts_.recent_messages));
  RecentEntry& recent_slot(sv text, RecentKind kind) {
    const std::uint64_t h = XXH3_64bits_withSeed(text.data(), text.size(), static_cast<std::uint64_t>(kind));
    return recent_[h & (recent_.size() - 1)];
  }
  bool recent_hit(const RecentEntry& e, sv text, RecentKind kind, Fingerprint& fp) const {
    if (e.kind != kind || e.text != text) return false;
    fp.template_text.assign(e.template_text);
    if (opts_.keep_values) fp.values = e.values;
    fp.id.assign(e.id);
    return true;
  }
  // Shape memo (keep_values off): two-way set-associative by XXH3 of the line's shape (the way not
  // used last is replaced), the shape kept to compare, so a hit is exact. The scanner, the header parser and the id read digits by class
  // (is_digit, is_hex, how many in a row), never by value, so lines of one shape have one template
  // and one id; a template that holds a digit (copied from the line) is not kept. Structured lines
  // JSON lines (a number's value decides whether the line parses), multi-line events, user masks,
  // cut events and --explain bypass it; a logfmt line (read by character class too) is kept when
  // its message is one line.
  struct ShapeEntry {
    bool used = false;
    bool recent = false;  // of the two ways of its bucket, the one used last
    std::string shape, template_text, id;
  };
  std::vector<ShapeEntry> shapes_ = std::vector<ShapeEntry>(opts_.keep_values || opts_.shape_memo < 2 ? 0 : std::bit_floor(opts_.shape_memo));
  std::string shape_;  // the current line's shape
  ShapeEntry* pending_shape_ = nullptr;  // set by a missing shape_lookup, taken by the next run()
  ShapeEntry* shape_bucket(sv line) {
    shape_.resize(line.size());
    char* to = shape_.data();
    const char* from = line.data();
    std::size_t left = line.size();
#if defined(__SSE2__)
    // 16 bytes at a time: bytes in '0'..'9' become '0'; the last 16 bytes once more for the rest
    // (the mapping is idempotent).
    const __m128i below = _mm_set1_epi8('0' - 1), above = _mm_set1_epi8('9' + 1), zero = _mm_set1_epi8('0');
    auto map16 = [&](const char* in, char* out) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
      const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_or_si128(_mm_and_si128(digit, zero), _mm_andnot_si128(digit, v)));
    };
    for (; left >= 16; left -= 16, from += 16, to += 16) map16(from, to);
    if (left > 0 && line.size() >= 16) {
      map16(from + left - 16, to + left - 16);
      left = 0;
    }
#endif
    for (; left > 0; --left) {
      const char c = *from++;
      *to++ = (c >= '0' && c <= '9') ? '0' : c;
    }
    const std::uint64_t h = XXH3_64bits(shape_.data(), shape_.size());
    return &shapes_[h & (shapes_.size() - 2)];  // a bucket is two adjacent slots
  }
  void shape_store(ShapeEntry& e, const Fingerprint& fp) {
    for (char c : fp.template_text)
      if (c >= '0' && c <= '9') return;
    e.used = true;
    e.recent = true;
    e.shape.swap(shape_);
    e.template_text.assign(fp.template_text);
    e.id.assign(fp.id);
  }

  void recent_store(RecentEntry& e, sv text, RecentKind kind, const Fingerprint& fp) const {
    e.kind = kind;
    e.text.assign(text);
    e.template_text.assign(fp.template_text);
    if (opts_.keep_values) e.values = fp.values;
    e.id.assign(fp.id);
  }
};

}  // namespace detail

Engine::Engine(Options opts) : state_(std::make_unique<detail::EngineState>(std::move(opts))) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

Fingerprint Engine::compute(std::string_view event_text) { return state_->compute(event_text); }
void Engine::compute_into(std::string_view event_text, Fingerprint& out) { state_->compute_into(event_text, out); }
std::string Engine::explain_json(std::string_view event_text) { return state_->explain(event_text); }
std::string Engine::id_for_template(std::string_view template_text) {
  return state_->template_id(template_text);
}

std::string custom_id(std::string_view rule_name, std::string_view key) {
  CanonicalEncoder enc("custom", algorithm_version);
  enc.add("rule", rule_name);
  enc.add("key", key);
  Sha256Hasher h;
  return h.short_id(enc.bytes());
}

}  // namespace selfheal::fingerprint
