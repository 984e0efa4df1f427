#include "fingerprint/normalize.hpp"

#include <array>
#include <cstdint>

namespace selfheal::fingerprint {
namespace {

enum : std::uint8_t {
  k_space = 1,   // whitespace and control characters
  k_delim = 2,   // splits a token into words; emitted literally
  k_digit = 4,
  k_alpha = 8,
  k_hex = 16,
  k_upper = 32,
  k_special = 64,  // '.', '/', '@', '~': paths, hosts, mail addresses
  k_colon = 128,
};

constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] |= k_space;
  t[' '] |= k_space;
  t[0x7f] |= k_space;
  for (char c : std::string_view("=,;()[]{}<>\"'|:")) t[static_cast<unsigned char>(c)] |= k_delim;
  for (int c = '0'; c <= '9'; ++c) t[c] |= k_digit | k_hex;
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= k_alpha;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= k_alpha | k_upper;
  for (int c = 'a'; c <= 'f'; ++c) t[c] |= k_hex;
  for (int c = 'A'; c <= 'F'; ++c) t[c] |= k_hex;
  for (char c : std::string_view("./@~")) t[static_cast<unsigned char>(c)] |= k_special;
  t[':'] |= k_colon;
  return t;
}
constexpr auto k_table = make_table();

inline bool is(unsigned char c, std::uint8_t cls) { return (k_table[c] & cls) != 0; }
inline bool is_space(char c) { return is(static_cast<unsigned char>(c), k_space); }
inline bool is_delim(char c) { return is(static_cast<unsigned char>(c), k_delim); }
inline bool is_digit(char c) { return is(static_cast<unsigned char>(c), k_digit); }
inline bool is_alpha(char c) { return is(static_cast<unsigned char>(c), k_alpha); }
inline bool is_hex(char c) { return is(static_cast<unsigned char>(c), k_hex); }
inline bool is_alnum(char c) { return is(static_cast<unsigned char>(c), k_digit | k_alpha); }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

constexpr std::uint64_t pack(std::string_view t) {
  std::uint64_t v = 0;
  for (char c : t) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

// Lower-cased letters of t packed into an integer; 0 when t is empty, longer than 8 or holds a
// non-letter (so one integer compare replaces a case-insensitive string compare).
std::uint64_t pack_lower_alpha(std::string_view t) {
  if (t.empty() || t.size() > 8) return 0;
  std::uint64_t v = 0;
  for (char c : t) {
    if (!is_alpha(c)) return 0;
    v = (v << 8) | static_cast<unsigned char>(lower(c));
  }
  return v;
}

// Units that follow a number as a separate token ("5.2 KB", "160 ms"). Size and time units only.
bool is_unit(std::string_view w) {
  if (w == "\xc2\xb5s") return true;  // µs
  static constexpr std::uint64_t units[] = {
      pack("b"),  pack("kb"),   pack("mb"), pack("gb"), pack("tb"), pack("pb"),  pack("kib"),
      pack("mib"), pack("gib"), pack("tib"), pack("bytes"), pack("ms"), pack("us"), pack("ns"),
      pack("s"),  pack("sec"),  pack("secs"), pack("min"), pack("mins"), pack("h"), pack("hrs")};
  const std::uint64_t v = pack_lower_alpha(w);
  if (v == 0) return false;
  for (auto u : units)
    if (u == v) return true;
  return false;
}

bool is_tld(std::string_view t) {
  // Common generic and country TLDs plus private suffixes (Sentry's <hostname> idea, shorter);
  // country codes that double as file extensions (py, sh, md, pl, rs...) are left out.
  static constexpr std::uint64_t tlds[] = {
      pack("com"), pack("net"), pack("org"), pack("edu"), pack("gov"), pack("mil"), pack("int"),
      pack("io"), pack("co"), pack("uk"), pack("de"), pack("fr"), pack("jp"), pack("cn"),
      pack("ru"), pack("br"), pack("au"), pack("nl"), pack("it"), pack("es"), pack("ca"),
      pack("ch"), pack("se"), pack("eu"), pack("us"), pack("info"), pack("biz"), pack("local"),
      pack("lan"), pack("internal"), pack("arpa"), pack("om"), pack("kr"), pack("in")};
  if (t.size() < 2 || t.size() > 8) return t.size() == 11 && iequals(t, "localdomain");
  std::uint64_t v = 0;
  for (char c : t) {
    if (!is_alpha(c)) return false;
    v = (v << 8) | static_cast<unsigned char>(lower(c));
  }
  for (auto x : tlds)
    if (x == v) return true;
  return false;
}

// "host.example.com": dotted labels of [A-Za-z0-9-], ending in a common TLD.
bool is_hostname(std::string_view w) {
  auto last = w.rfind('.');
  if (last == std::string_view::npos || last == 0 || last + 1 >= w.size()) return false;
  for (char c : w)
    if (!(is_alnum(c) || c == '-' || c == '.')) return false;
  if (w.find("..") != std::string_view::npos) return false;
  return is_tld(w.substr(last + 1));
}

// A month or weekday name as dates print it: "Mar", "March", "Tue", "Tuesday" (capitalised or
// all caps, optionally followed by a comma). Only masked next to a number or another date part.
bool date_word(std::string_view w) {
  if (!w.empty() && w.back() == ',') w.remove_suffix(1);
  if (w.size() < 3 || w.size() > 9 || w[0] < 'A' || w[0] > 'Z') return false;
  // Hot path (every capitalised word): one integer compare per name on the first three letters.
  static constexpr std::string_view names[] = {
      "january", "february", "march", "april", "may", "june", "july", "august", "september",
      "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
      "saturday", "sunday", "sept"};
  static constexpr auto heads = [] {
    std::array<std::uint64_t, std::size(names)> h{};
    for (std::size_t i = 0; i < std::size(names); ++i) h[i] = pack(names[i].substr(0, 3));
    return h;
  }();
  const std::uint64_t head = pack_lower_alpha(w.substr(0, 3));
  if (head == 0) return false;
  for (std::size_t i = 0; i < std::size(names); ++i)
    if (heads[i] == head && (w.size() == 3 || (w.size() == names[i].size() && iequals(w, names[i])))) return true;
  return false;
}

// True when the token after position i of line starts with a digit or is itself a date word.
bool next_starts_date(std::string_view line, std::size_t i) {
  while (i < line.size() && is_space(line[i])) ++i;
  if (i >= line.size()) return false;
  if (is_digit(line[i])) return true;
  std::size_t j = i;
  while (j < line.size() && !is_space(line[j])) ++j;
  return date_word(line.substr(i, j - i));
}

class Scanner {
 public:
  Scanner(Normalized& out, const NormalizeOptions& opts) : out_(out), opts_(opts) {}

  void mask(std::string_view raw) {
    out_.text.append(wildcard);
    if (out_.values.size() < opts_.max_values)
      out_.values.emplace_back(raw.substr(0, opts_.max_value_bytes));
  }

  // A word: a maximal run of non-delimiter characters inside a token. `seen` is the OR of the
  // class bits of its characters, `hex_only` whether all of them are hex digits.
  void word(std::string_view w, std::uint8_t seen, bool hex_only, bool has_dot, bool has_at) {
    if (seen & k_digit) return mask(w);
    if (w.size() >= 2 && (w[0] == '/' || (w[0] == '~' && w[1] == '/') ||
                          (w[0] == '.' && w.size() > 2 && w[1] == '/') ||
                          (w[0] == '.' && w.size() > 3 && w[1] == '.' && w[2] == '/')))
      return mask(w);  // a path
    if (w.size() >= 8 && hex_only) return mask(w);  // hex without digits, e.g. a hash
    if (has_dot && opts_.mask_hostnames && is_hostname(w)) return mask(w);
    if (has_at) {
      auto at = w.find('@');
      if (at > 0 && at + 1 < w.size() && w.find('.', at) != std::string_view::npos &&
          is_alnum(w[at - 1]) && is_alnum(w[at + 1]))
        return mask(w);  // an e-mail address
    }
    out_.text.append(w);
  }

  // Length of an IPv6 / MAC / colon-separated hex run at the start of s, or 0.
  static std::size_t colon_hex_run(std::string_view s) {
    std::size_t i = 0, colons = 0;
    bool digit = false;
    while (i < s.size() && (is_hex(s[i]) || s[i] == ':' || s[i] == '.' || s[i] == '%')) {
      if (s[i] == ':') ++colons;
      if (is_digit(s[i])) digit = true;
      ++i;
    }
    if (colons < 2 || !digit) return 0;
    if (i < s.size() && !is_delim(s[i]) && !is_space(s[i])) return 0;  // e.g. "ab:cd:efg"
    while (i > 0 && (s[i - 1] == '.' || s[i - 1] == ':')) --i;  // trailing punctuation stays
    return i;
  }

  void words(std::string_view tok) {
    std::size_t i = 0;
    const std::size_t n = tok.size();
    while (i < n) {
      char c = tok[i];
      if (c == ':' && i + 2 < n && tok[i + 1] == ':' && is_hex(tok[i + 2])) {  // "::1", "::ffff:10.0.0.1"
        if (std::size_t r = colon_hex_run(tok.substr(i)); r > 0) {
          mask(tok.substr(i, r));
          i += r;
          continue;
        }
      }
      if (c == '/' && i + 1 < n && (i == 0 || is_delim(tok[i - 1])) && !is_space(tok[i + 1])) {
        // A path with its query string ("/a/b?x=1&y=2") is one value up to a quote; trailing
        // punctuation stays literal.
        std::size_t k = i;
        while (k < n && tok[k] != '"' && tok[k] != '\'') ++k;
        while (k > i + 1 && (tok[k - 1] == ')' || tok[k - 1] == ',' || tok[k - 1] == ';' || tok[k - 1] == ':' ||
                             tok[k - 1] == '.' || tok[k - 1] == ']' || tok[k - 1] == '}' || tok[k - 1] == '>'))
          --k;
        if (k > i + 1) {
          mask(tok.substr(i, k - i));
          i = k;
          continue;
        }
      }
      if (is_delim(c)) {
        out_.text.push_back(c);
        ++i;
        // Empty values are values: "key=" at the end or before a separator, '' and "".
        if (c == '=' && i > 1 && (i == n || tok[i] == ',' || tok[i] == ';' || tok[i] == ')')) {
          mask(std::string_view());
        } else if ((c == '"' || c == '\'') && i < n && tok[i] == c) {
          mask(std::string_view());
        } else if ((c == '[' || c == '(') && i < n && tok[i] == (c == '[' ? ']' : ')') &&
                   (i == 1 || !is_alnum(tok[i - 2]))) {
          mask(std::string_view());  // "[]" as a value; "f()" and "a[]" are names
        }
        continue;
      }
      if (c == '.' && i + 1 < n && tok[i + 1] == '.') {  // dot leaders: "alignment......0"
        while (i < n && tok[i] == '.') out_.text.push_back(tok[i++]);
        continue;
      }
      std::size_t j = i;
      std::uint8_t seen = 0;
      bool hex_only = true, has_dot = false, has_at = false;
      for (; j < n; ++j) {
        const char ch = tok[j];
        const std::uint8_t cls = k_table[static_cast<unsigned char>(ch)];
        if (cls & k_delim) break;
        if (ch == '.') {
          if (j + 1 < n && tok[j + 1] == '.') break;
          has_dot = true;
        }
        has_at |= ch == '@';
        seen |= cls;
        hex_only &= (cls & k_hex) != 0;
      }
      if (j < n && tok[j] == ':' && is_hex(c)) {  // IPv6, MAC: "fe80:0:..", "5c:50:15:.."
        if (std::size_t r = colon_hex_run(tok.substr(i)); r > 0) {
          mask(tok.substr(i, r));
          i += r;
          continue;
        }
      }
      // "name:port": the host part of an address is a value even without digits - when it looks
      // like a host (a dotted or hyphenated name). "retries:3", "memory:1024" keep their key; a bare
      // host name ("rabbitmq:5672") is left to the learner.
      if (j + 1 < n && tok[j] == ':' && is_digit(tok[j + 1]) && (seen & k_alpha) && is_alpha(c)) {
        std::size_t k = j + 1;
        while (k < n && is_digit(tok[k])) ++k;
        const std::string_view name = tok.substr(i, j - i);
        const bool hostlike = name.find_first_of(".-") != std::string_view::npos;
        if (hostlike && k - j - 1 <= 5 && (k == n || (is_delim(tok[k]) && tok[k] != ':') || tok[k] == '/')) {
          mask(name);
          i = j;
          continue;
        }
      }
      word(tok.substr(i, j - i), seen, hex_only, has_dot, has_at);
      i = j;
    }
  }

  // Returns true when the whole token became exactly one wildcard.
  // url_at: offset of "://" in tok, or npos.
  bool token(std::string_view tok, std::size_t url_at) {
    const std::size_t before = out_.text.size();
    if (auto p = url_at; p != std::string_view::npos && p > 0 && is_alpha(tok[p - 1])) {
      std::size_t s = p;
      while (s > 0 && (is_alnum(tok[s - 1]) || tok[s - 1] == '+' || tok[s - 1] == '.' ||
                       tok[s - 1] == '-'))
        --s;
      words(tok.substr(0, s));
      std::size_t e = tok.size();
      while (e > p + 3 && (tok[e - 1] == ')' || tok[e - 1] == ']' || tok[e - 1] == '}' ||
                           tok[e - 1] == '>' || tok[e - 1] == '"' || tok[e - 1] == '\'' ||
                           tok[e - 1] == ',' || tok[e - 1] == ';' || tok[e - 1] == '.' || tok[e - 1] == ':'))
        --e;
      mask(tok.substr(s, e - s));
      out_.text.append(tok.substr(e));
    } else {
      words(tok);
    }
    return out_.text.size() - before == wildcard.size() &&
           std::string_view(out_.text).substr(before) == wildcard;
  }

  // Wildcards joined by ':' or ',' inside one token are one value: "<*>:<*>" (host:port, an
  // IPv6 address with a port, a time) and "<*>,<*>" become "<*>", their raw values joined.
  void join_adjacent_wildcards(std::size_t from, std::size_t values_before) {
    std::string& t = out_.text;
    // Hot path: nothing to join unless two wildcards touch through ':' or ','.
    const std::size_t a = t.find("<*>:<*>", from), b = t.find("<*>,<*>", from);
    if (a == std::string::npos && b == std::string::npos) return;
    // One pass (a token of "1,1,1,..." must not cost an erase per comma): copy the token's text,
    // folding "<*>" + ':' or ',' + "<*>" into the wildcard before it, and its raw value with it.
    std::string seg;
    seg.reserve(t.size() - from);
    std::vector<std::string> vals;
    const std::size_t have = out_.values.size();
    std::size_t v = values_before;   // index of the next wildcard's raw value
    bool last_was_wildcard = false;  // seg ends with a wildcard we emitted
    for (std::size_t i = from; i < t.size();) {
      if (t.compare(i, 3, "<*>") == 0) {
        const bool join = seg.size() >= 4 && (seg.back() == ':' || seg.back() == ',') && last_was_wildcard;
        if (join) {
          const char sep = seg.back();
          seg.pop_back();
          if (v < have && !vals.empty()) {
            vals.back() += sep;
            vals.back() += out_.values[v];
            if (vals.back().size() > opts_.max_value_bytes) vals.back().resize(opts_.max_value_bytes);
          }
        } else {
          seg.append("<*>");
          if (v < have) vals.push_back(std::move(out_.values[v]));
        }
        ++v;
        i += 3;
        last_was_wildcard = true;
        continue;
      }
      // A separator directly after a wildcard keeps the join possible; anything else ends it.
      last_was_wildcard = last_was_wildcard && (t[i] == ':' || t[i] == ',') && !seg.empty() && seg.back() == '>';
      seg.push_back(t[i]);
      ++i;
    }
    t.resize(from);
    t.append(seg);
    out_.values.resize(std::min(values_before, have));
    for (auto& x : vals) out_.values.push_back(std::move(x));
  }

  // A quoted structured value `key="…"` (klog, logfmt) holds one value, spaces and all. The
  // closing quote is the first one followed by whitespace or the end of the line. The message
  // field of structured logging (`msg`, `message`) is the statement itself and stays literal.
  // Returns the end of the value (one past the closing quote) in line, or 0 when tok is not one.
  // True when the last masked raw value is a plain number ("5.2", "160"), not an address or an id;
  // unknown (values capped) counts as a number, as before the cap.
  bool last_value_is_number() const {
    if (out_.values.empty() || out_.values.size() >= opts_.max_values) return true;
    const std::string& v = out_.values.back();
    if (v.empty()) return false;
    std::size_t dots = 0;
    for (char c : v) {
      if (c == '.' || c == ',') ++dots;
      else if (!is_digit(c) && c != '-' && c != '+') return false;
    }
    return dots <= 1;
  }

  // The last masked value can be part of a date: a year (4 digits), a time (h:m) or a month/weekday
  // name. "found 3 SAT instances" keeps SAT; "13 Nov 2024" masks Nov (a number follows).
  bool last_value_is_date_part() const {
    if (out_.values.empty() || out_.values.size() >= opts_.max_values) return true;
    const std::string& v = out_.values.back();
    bool digits = !v.empty(), colon = false;
    for (char c : v) {
      if (c == ':') colon = true;
      else if (!is_digit(c)) digits = false;
    }
    if (colon) return true;
    if (digits) return v.size() == 4;
    return date_word(v);
  }

  // Memos of one line (reset in run): from no_close_from_ on there is no closing quote at all, from
  // no_preferred_from_ on none followed by a key=. They keep hostile lines linear.
  std::size_t no_close_from_ = std::string_view::npos;
  std::size_t no_preferred_from_ = std::string_view::npos;

  std::size_t quoted_value_end(std::string_view line, std::size_t tok_start, std::size_t tok_end) {
    std::size_t eq = tok_start;
    while (eq < tok_end && (is_alnum(line[eq]) || line[eq] == '_' || line[eq] == '-' || line[eq] == '.')) ++eq;
    if (eq == tok_start || eq + 1 >= tok_end || line[eq] != '=' || line[eq + 1] != '"') return 0;
    const std::string_view key = line.substr(tok_start, eq - tok_start);
    if (iequals(key, "msg") || iequals(key, "message")) return 0;
    // Unescaped quotes inside the value happen ("no object matching key "a/b" in store"): prefer a
    // quote that ends the line or is followed by the next key=.
    if (eq + 2 >= no_close_from_) return 0;
    const bool want_preferred = eq + 2 < no_preferred_from_;
    std::size_t first_end = 0;
    for (std::size_t k = eq + 2; k < line.size(); ++k) {
      if (line[k] == '\\') {
        ++k;  // an escaped character, \" included
      } else if (line[k] == '"' && (k + 1 == line.size() || is_space(line[k + 1]))) {
        if (first_end == 0) first_end = k + 1;
        if (!want_preferred) return first_end;
        std::size_t m = k + 1;
        while (m < line.size() && is_space(line[m])) ++m;
        if (m == line.size()) return k + 1;
        std::size_t e = m;
        while (e < line.size() && (is_alnum(line[e]) || line[e] == '_' || line[e] == '-' || line[e] == '.')) ++e;
        if (e > m && e < line.size() && line[e] == '=') return k + 1;
      }
    }
    if (first_end == 0) no_close_from_ = std::min(no_close_from_, eq + 2);
    if (want_preferred) no_preferred_from_ = std::min(no_preferred_from_, eq + 2);
    return first_end;
  }

  void run(std::string_view line) {
    no_close_from_ = no_preferred_from_ = std::string_view::npos;
    std::size_t i = 0;
    const std::size_t n = line.size();
    bool first = true;
    bool prev_pure_mask = false;
    bool prev_list_mask = false;  // the previous token was exactly "<*>,"
    while (i < n) {
      while (i < n && is_space(line[i])) ++i;
      if (i >= n) break;
      std::size_t j = i;
      std::size_t url_at = std::string_view::npos;
      std::uint8_t seen = 0;
      bool special = false, hex_only = true;
      for (; j < n; ++j) {
        const char ch = line[j];
        const std::uint8_t cls = k_table[static_cast<unsigned char>(ch)];
        if (cls & k_space) break;
        seen |= cls;
        hex_only &= (cls & k_hex) != 0;
        if (cls & (k_special | k_colon)) {
          if (cls & k_special) {
            special = true;
          } else if (url_at == std::string_view::npos && j + 2 < n && line[j + 1] == '/' && line[j + 2] == '/') {
            url_at = j - i;
          }
        }
      }
      if (seen & k_delim) {
        if (std::size_t e = quoted_value_end(line, i, j); e > 0) {
          if (!first) out_.text.push_back(' ');
          first = false;
          // key=<*>: quoted or not, the same field gives the same template (logfmt quotes a value
          // only when it needs quotes).
          const std::size_t eq = line.find('=', i);
          out_.text.append(line.substr(i, eq + 1 - i));
          mask(line.substr(eq + 2, e - 1 - (eq + 2)));
          i = e;
          prev_pure_mask = prev_list_mask = false;
          continue;
        }
      }
      std::string_view tok = line.substr(i, j - i);
      // Fast path: a plain word (no digit, delimiter, path/host/mail character, not a long hex
      // run) is copied as it is; this is most tokens of most messages.
      const bool plain = !(seen & (k_digit | k_delim)) && !special && !(hex_only && tok.size() >= 8);
      i = j;
      if (prev_pure_mask) {
        // "5.2 KB," -> "<*>,": a unit after a masked number belongs to the value.
        std::size_t e = tok.size();
        while (e > 0 && is_delim(tok[e - 1])) --e;
        if (e > 0 && is_unit(tok.substr(0, e)) && last_value_is_number()) {
          out_.text.append(tok.substr(e));
          prev_pure_mask = false;
          prev_list_mask = tok.substr(e) == "," && std::string_view(out_.text).ends_with("<*>,");
          continue;
        }
      }
      if (!first) out_.text.push_back(' ');
      first = false;
      bool was_mask = prev_pure_mask;
      std::size_t before = out_.text.size();
      if (plain) {
        // A month or weekday name next to a number or another date part is part of a date.
        if (date_word(tok) && ((was_mask && last_value_is_date_part()) || next_starts_date(line, i))) {
          mask(tok);
          prev_pure_mask = true;
        } else {
          out_.text.append(tok);
          prev_pure_mask = prev_list_mask = false;
          continue;
        }
      } else {
        const std::size_t values_before = out_.values.size();
        token(tok, url_at);
        join_adjacent_wildcards(before, values_before);
        prev_pure_mask = std::string_view(out_.text).substr(before) == wildcard;
      }
      if (opts_.collapse_wildcards && was_mask && prev_pure_mask && before > 0) {
        out_.text.resize(before - 1);  // "<*> <*>" -> "<*>": lists of variable length
      } else if (opts_.collapse_wildcards && was_mask && before > 0 &&
                 std::string_view(out_.text).substr(before) == "<*>,") {
        out_.text.erase(before - 1, 1 + wildcard.size());  // "<*> <*>," -> "<*>,"
        prev_list_mask = true;
        continue;
      } else if (opts_.collapse_wildcards && prev_list_mask && before > 1) {
        // "<*>, <*>, <*>" -> "<*>": comma-separated lists of variable length
        const std::string_view added = std::string_view(out_.text).substr(before);
        if (added == wildcard || added == "<*>,") {
          const bool comma = added.size() > wildcard.size();
          out_.text.resize(before - 2);  // drop " " and the previous ","
          if (comma) out_.text.push_back(',');
          prev_pure_mask = !comma;
          prev_list_mask = comma;
          continue;
        }
      }
      prev_list_mask = out_.text.size() >= before && std::string_view(out_.text).substr(before) == "<*>,";
    }
  }

 private:
  Normalized& out_;
  const NormalizeOptions& opts_;
};

bool is_level_word(std::string_view w) {
  static constexpr std::string_view levels[] = {
      "trace", "debug", "info", "information", "notice", "warn", "warning", "error", "err",
      "fatal", "critical", "crit", "severe", "alert", "emerg", "emergency", "panic", "fine",
      "finer", "finest", "config", "verbose", "dbug", "eror", "wrn", "inf", "dbg", "trc", "ftl"};
  for (auto l : levels)
    if (iequals(w, l)) return true;
  return false;
}

bool is_month(std::string_view w) {
  static constexpr std::uint64_t months[] = {pack("jan"), pack("feb"), pack("mar"), pack("apr"),
                                             pack("may"), pack("jun"), pack("jul"), pack("aug"),
                                             pack("sep"), pack("oct"), pack("nov"), pack("dec")};
  if (w.size() < 3) return false;
  const std::uint64_t v = pack_lower_alpha(w.substr(0, 3));
  for (auto m : months)
    if (m == v) return true;
  return false;
}

bool is_weekday(std::string_view w) {
  static constexpr std::uint64_t days[] = {pack("mon"), pack("tue"), pack("wed"), pack("thu"),
                                           pack("fri"), pack("sat"), pack("sun")};
  if (w.size() < 3) return false;
  const std::uint64_t v = pack_lower_alpha(w.substr(0, 3));
  for (auto d : days)
    if (d == v) return true;
  return false;
}

std::size_t count_digits(std::string_view s, std::size_t pos) {
  std::size_t k = 0;
  while (pos + k < s.size() && is_digit(s[pos + k])) ++k;
  return k;
}

// Length of a timestamp at the start of s (without surrounding brackets), or 0.
std::size_t timestamp_length(std::string_view s) {
  // ISO-like: 2024-01-01[T ]12:00:00[.123][Z|+01:00]   or 2024/01/01 ...
  std::size_t i = 0;
  if (count_digits(s, 0) == 4 && s.size() > 9 && (s[4] == '-' || s[4] == '/' || s[4] == '.')) {
    i = 5;
    std::size_t d = count_digits(s, i);
    if (d < 1 || d > 2 || i + d >= s.size() || s[i + d] != s[4]) return 0;
    i += d + 1;
    d = count_digits(s, i);
    if (d < 1 || d > 2) return 0;
    i += d;
    if (i + 1 < s.size() && (s[i] == 'T' || s[i] == ' ') && count_digits(s, i + 1) == 2 &&
        i + 3 < s.size() && s[i + 3] == ':') {
      ++i;
    } else {
      return i;
    }
  } else if (s.size() >= 6 && is_weekday(s) && !is_alpha(s.size() > 3 ? s[3] : ' ')) {
    // "Mon Nov 23 20:00:41 ..." -> handled by the month branch after skipping the weekday
    std::size_t k = 3;
    while (k < s.size() && (s[k] == ' ' || s[k] == ',')) ++k;
    std::size_t r = timestamp_length(s.substr(k));
    return r ? k + r : 0;
  } else if (s.size() >= 6 && is_month(s) && !is_alpha(s[3])) {
    i = 3;
    while (i < s.size() && s[i] == ' ') ++i;
    std::size_t d = count_digits(s, i);
    if (d < 1 || d > 2) return 0;
    i += d;
    if (i < s.size() && s[i] == ' ') ++i;
    if (count_digits(s, i) == 4 && i + 4 < s.size() && s[i + 4] == ' ') i += 5;  // year
  }
  // time part: HH:MM[:SS][.,fraction][Z|offset]
  if (count_digits(s, i) != 2 || i + 5 > s.size() || s[i + 2] != ':' || count_digits(s, i + 3) != 2)
    return 0;
  i += 5;
  if (i + 2 < s.size() + 0 && i < s.size() && s[i] == ':' && count_digits(s, i + 1) == 2) i += 3;
  if (i < s.size() && (s[i] == '.' || s[i] == ',') && count_digits(s, i + 1) > 0)
    i += 1 + count_digits(s, i + 1);
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-') && count_digits(s, i + 1) >= 2) {
    i += 1 + count_digits(s, i + 1);
    if (i < s.size() && s[i] == ':' && count_digits(s, i + 1) == 2) i += 3;
  }
  return i;
}

std::size_t skip_spaces(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i;
}

}  // namespace

void normalize_into(std::string_view line, Normalized& out, const NormalizeOptions& opts) {
  out.clear();
  if (line.size() > opts.max_input_bytes) line = line.substr(0, opts.max_input_bytes);
  out.text.reserve(line.size() + 8);
  Scanner(out, opts).run(line);
}

std::string normalize(std::string_view line) {
  Normalized n;
  normalize_into(line, n);
  return std::move(n.text);
}

namespace {

// klog / glog header: "Lmmdd hh:mm:ss.uuuuuu threadid file:line] " (L = I, W, E or F).
std::size_t klog_header_length(std::string_view s) {
  if (s.size() < 16) return 0;
  if (s[0] != 'I' && s[0] != 'W' && s[0] != 'E' && s[0] != 'F') return 0;
  if (count_digits(s, 1) != 4 || s[5] != ' ') return 0;
  std::size_t i = 6;
  if (count_digits(s, i) != 2 || i + 8 > s.size() || s[i + 2] != ':' || count_digits(s, i + 3) != 2 ||
      s[i + 5] != ':' || count_digits(s, i + 6) != 2)
    return 0;
  i += 8;
  if (i < s.size() && s[i] == '.') i += 1 + count_digits(s, i + 1);
  std::size_t j = skip_spaces(s, i);
  if (j == i || count_digits(s, j) == 0) return 0;
  j += count_digits(s, j);
  i = skip_spaces(s, j);
  if (i == j) return 0;
  // file:line]
  for (std::size_t k = i; k < s.size() && k < i + 256; ++k) {
    if (s[k] == ']') return k > i ? skip_spaces(s, k + 1) : 0;
    if (s[k] == ' ' || s[k] == '\t') return 0;
  }
  return 0;
}

bool all_upper(std::string_view w) {
  if (w.empty()) return false;
  for (char c : w)
    if (!(c >= 'A' && c <= 'Z')) return false;
  return true;
}

struct Header {
  std::size_t end = 0;     // first byte of the message
  std::string_view level;  // level word as written, or klog's letter; empty if none
};

// Optional level after a timestamp: LEVEL, [LEVEL], LEVEL: (any case).
std::size_t level_after(std::string_view line, std::size_t i, std::string_view& level) {
  std::size_t j = i;
  bool br = j < line.size() && line[j] == '[';
  if (br) ++j;
  std::size_t k = j;
  while (k < line.size() && is_alpha(line[k])) ++k;
  if (k > j && is_level_word(line.substr(j, k - j))) {
    std::string_view word = line.substr(j, k - j);
    if (br && k < line.size() && line[k] == ']') ++k;
    if (k < line.size() && line[k] == ':') ++k;
    if (k == line.size() || line[k] == ' ' || line[k] == '\t') {
      level = word;
      return skip_spaces(line, k);
    }
  }
  return i;
}

// Optional [thread] groups, then "logger - " or "logger: ".
std::size_t thread_and_logger(std::string_view line, std::size_t i) {
  while (i < line.size() && line[i] == '[') {
    std::size_t close = line.find(']', i);
    if (close == std::string_view::npos) break;
    i = skip_spaces(line, close + 1);
  }
  std::size_t j = i;
  while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
  if (j > i) {
    std::size_t k = skip_spaces(line, j);
    if (k + 1 < line.size() && line[k] == '-' && line[k + 1] == ' ') {
      i = skip_spaces(line, k + 1);
    } else if (line[j - 1] == ':' && j - i > 1) {
      i = k;
    }
  }
  return i;
}

// A header without a timestamp (what Kubernetes shippers leave): klog's "E1203 12:00:00.000000
// 123 file.go:10] ", or a level first: "[error] ", "[ERROR] ", "ERROR ", "WARN: ". Unbracketed,
// only an upper-case level word counts, and not when the next word shouts too ("ERROR IN
// CONTACTING RM." is a sentence, not a level prefix).
Header timeless_header(std::string_view line) {
  Header h;
  // Hot path: most messages start with a lower-case word or a digit and leave here.
  if (line.empty() || !(line[0] == '[' || (line[0] >= 'A' && line[0] <= 'Z'))) return h;
  if (std::size_t k = klog_header_length(line)) {
    h.end = k;
    h.level = line.substr(0, 1);
    return h;
  }
  std::size_t j = 0;
  const bool br = !line.empty() && line[0] == '[';
  if (br) ++j;
  std::size_t k = j;
  while (k < line.size() && is_alpha(line[k])) ++k;
  std::string_view word = line.substr(j, k - j);
  if (word.empty() || word.size() > 11 || (!br && !all_upper(word)) || !is_level_word(word)) return h;
  if (br) {
    if (k >= line.size() || line[k] != ']') return h;
    ++k;
  }
  if (k < line.size() && line[k] == ':') ++k;
  if (k >= line.size() || (line[k] != ' ' && line[k] != '\t')) return h;
  std::size_t m = skip_spaces(line, k);
  if (m >= line.size()) return h;
  if (!br) {
    std::size_t e = m;
    while (e < line.size() && is_alpha(line[e])) ++e;
    if (e - m >= 2 && all_upper(line.substr(m, e - m)) && (e == line.size() || !is_alnum(line[e])))
      return h;
  }
  h.level = word;
  h.end = thread_and_logger(line, m);
  return h;
}

Header parse_header(std::string_view line) {
  Header h;
  std::size_t i = 0;
  bool bracket = i < line.size() && line[i] == '[';
  if (bracket) ++i;
  std::size_t ts = timestamp_length(line.substr(i));
  if (ts == 0) return timeless_header(line);
  i += ts;
  if (bracket && i < line.size() && line[i] == ']') ++i;
  const bool syslog = !bracket && is_alpha(line[0]);  // "Jul  1 09:00:55 host tag[pid]: msg"
  i = skip_spaces(line, i);
  if (syslog) {
    // RFC 3164: HOSTNAME then TAG[PID]: — both belong to the header.
    std::size_t hh = i;
    while (hh < line.size() && line[hh] != ' ' && line[hh] != '\t') ++hh;
    std::size_t t = skip_spaces(line, hh);
    std::size_t e = t;
    while (e < line.size() && line[e] != ' ' && line[e] != '\t') ++e;
    if (hh > i && e > t && line[e - 1] == ':' && line[hh - 1] != ':') {
      h.end = skip_spaces(line, e);
      return h;
    }
  }
  // Optional numeric pid / sequence tokens.
  while (i < line.size() && is_digit(line[i])) {
    std::size_t j = i;
    while (j < line.size() && is_digit(line[j])) ++j;
    if (j < line.size() && line[j] != ' ') break;
    i = skip_spaces(line, j);
  }
  i = level_after(line, i, h.level);
  h.end = thread_and_logger(line, i);
  return h;
}

}  // namespace

bool starts_with_timestamp(std::string_view line) {
  std::size_t i = 0;
  if (i < line.size() && line[i] == '[') ++i;
  return timestamp_length(line.substr(i)) > 0 || klog_header_length(line) > 0;
}

std::string_view strip_header(std::string_view line) { return line.substr(parse_header(line).end); }

std::string_view header_level(std::string_view line) { return parse_header(line).level; }

}  // namespace selfheal::fingerprint
