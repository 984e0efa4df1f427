#include "fingerprint/stack_trace.hpp"

#include <algorithm>
#include <charconv>

namespace selfheal::fingerprint {
namespace {

using sv = std::string_view;

bool starts_with(sv s, sv p) { return s.substr(0, p.size()) == p; }
bool ends_with(sv s, sv p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }
/// `s` starts with a marker of the trace-shape table followed by `then`.
bool starts_with_then(sv s, sv marker, sv then) { return starts_with(s, marker) && starts_with(s.substr(marker.size()), then); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '$';
}

sv ltrim(sv s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}
sv trim(sv s) {
  s = ltrim(s);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
std::size_t indent_of(sv s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i;
}

int parse_int(sv s) {
  int v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() ? v : 0;
}

sv basename(sv path) {
  auto p = path.find_last_of("/\\");
  return p == sv::npos ? path : path.substr(p + 1);
}

// "pkg.Class.method" -> ("pkg.Class", "method")
void split_last_dot(sv name, Frame& f) {
  auto p = name.rfind('.');
  if (p == sv::npos) {
    f.function = normalize_symbol(name);
  } else {
    f.module = normalize_symbol(name.substr(0, p));
    f.function = normalize_symbol(name.substr(p + 1));
  }
}

// A type name: dotted identifier ("java.lang.X", "pkg.mod.Error") or an undotted one that looks
// like an exception ("ValueError", "TypeError", "NullPointerException").
bool looks_like_type(sv t, bool allow_plain) {
  if (t.empty() || t.size() > 256) return false;
  if (!(is_ident(t[0]) && !is_digit(t[0]))) return false;
  bool dotted = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '.' || c == '\\') {
      if (i + 1 >= t.size() || !is_ident(t[i + 1])) return false;
      dotted = true;
    } else if (!is_ident(c)) {
      return false;
    }
  }
  if (allow_plain) return true;
  if (ends_with(t, "Exception") || ends_with(t, "Error") || ends_with(t, "Throwable") ||
      ends_with(t, "Failure") || ends_with(t, "Exit") || ends_with(t, "Interrupt"))
    return true;
  return dotted &&
         (t.find("Exception") != sv::npos || t.find("Error") != sv::npos ||
          t.find("Throwable") != sv::npos || t.find("Failure") != sv::npos);
}

// "Type: message" or "Type" -> true with type/value.
bool parse_exception_line(sv line, bool allow_plain, std::string& type, std::string& value) {
  line = trim(line);
  auto colon = line.find(": ");
  sv t = colon == sv::npos ? line : line.substr(0, colon);
  if (colon == sv::npos && !line.empty() && line.back() == ':') t = line.substr(0, line.size() - 1);
  if (!looks_like_type(t, allow_plain)) return false;
  type.assign(t);
  value.assign(colon == sv::npos ? sv{} : line.substr(colon + 2));
  return true;
}

struct Parser {
  ParsedTrace out;
  ParsedException* cur = nullptr;
  bool python_order = false;  // printed root-cause first (Python, PHP)
  int suppress_indent = -1;
  std::size_t dotnet_target = 0;
  bool go_collect = true;
  int go_goroutines = 0;
  bool value_open = false;  // message lines may continue until the first frame
  sv prev_line;

  ParsedException& new_exception() {
    out.chain.emplace_back();
    cur = &out.chain.back();
    return *cur;
  }

  void set_lang(TraceLanguage l) {
    if (out.language == TraceLanguage::none) out.language = l;
  }

  void add_frame(Frame f, TraceLanguage lang) {
    set_lang(lang);
    value_open = false;
    ParsedException* target = cur;
    if (out.language == TraceLanguage::dotnet && !out.chain.empty())
      target = &out.chain[std::min(dotnet_target, out.chain.size() - 1)];
    if (target == nullptr) target = &new_exception();
    FrameKind k = classify_frame(f, out.language);
    f.in_app = k == FrameKind::app;
    target->frames.push_back(std::move(f));
    target->kinds.push_back(k);
    ++out.frame_count;
  }

  // "at X" lines: Java, .NET, Node.
  bool at_frame(sv line) {
    if (indent_of(line) == 0) return false;
    sv s = ltrim(line);
    if (!starts_with(s, marker::frame_at)) return false;
    s = trim(s.substr(marker::frame_at.size()));
    Frame f;
    // Node: "fn (loc)" or "loc"
    auto sp = s.find(" (");
    bool node_loc = false;
    auto is_node_loc = [](sv loc) {
      // path:line:col
      auto c2 = loc.rfind(':');
      if (c2 == sv::npos || c2 + 1 >= loc.size() || !is_digit(loc[c2 + 1])) return false;
      auto c1 = loc.rfind(':', c2 - 1);
      return c1 != sv::npos && c1 + 1 < c2 && is_digit(loc[c1 + 1]);
    };
    if (sp != sv::npos && s.back() == ')') {
      sv loc = s.substr(sp + 2, s.size() - sp - 3);
      if (is_node_loc(loc) || starts_with(loc, "node:") || loc == "<anonymous>" ||
          loc == "native" || starts_with(loc, "index ")) {
        node_loc = true;
        sv fn = s.substr(0, sp);
        if (starts_with(fn, "async ")) fn.remove_prefix(6);
        if (starts_with(fn, "new ")) fn.remove_prefix(4);
        if (auto as = fn.find(" [as "); as != sv::npos) fn = fn.substr(0, as);
        auto d = fn.rfind('.');
        f.function = normalize_symbol(d == sv::npos ? fn : fn.substr(d + 1));
        sv file = loc;
        auto c2 = file.rfind(':');
        if (c2 != sv::npos) {
          auto c1 = file.rfind(':', c2 - 1);
          if (c1 != sv::npos) {
            f.line = parse_int(file.substr(c1 + 1, c2 - c1 - 1));
            file = file.substr(0, c1);
          }
        }
        f.file.assign(file);
        f.module.assign(basename(file));
        add_frame(std::move(f), TraceLanguage::javascript);
        return true;
      }
    }
    if (!node_loc && s.find('(') == sv::npos && is_node_loc(s)) {
      auto c2 = s.rfind(':');
      auto c1 = s.rfind(':', c2 - 1);
      f.line = parse_int(s.substr(c1 + 1, c2 - c1 - 1));
      f.file.assign(s.substr(0, c1));
      f.module.assign(basename(f.file));
      add_frame(std::move(f), TraceLanguage::javascript);
      return true;
    }
    auto open = s.find('(');
    if (open == sv::npos) return false;
    sv name = s.substr(0, open);
    auto close = s.find(')', open);
    if (close == sv::npos) close = s.size();
    sv inside = s.substr(open + 1, close - open - 1);
    sv after = close < s.size() ? s.substr(close + 1) : sv{};
    bool dotnet = !after.empty() || inside.empty() || inside.find(' ') != sv::npos ||
                  inside.find(", ") != sv::npos;
    if (inside == "Native Method" || inside == "Unknown Source" ||
        inside.find(".java:") != sv::npos || inside.find(".kt:") != sv::npos ||
        inside.find(".scala:") != sv::npos || inside.find(".groovy:") != sv::npos ||
        ends_with(inside, ".java") || inside.find(".clj:") != sv::npos)
      dotnet = false;
    if (auto slash = name.rfind('/'); slash != sv::npos && !dotnet)
      name = name.substr(slash + 1);  // "java.base/java.util.X.m", "app//X.m"
    split_last_dot(name, f);
    if (dotnet) {
      // " in /src/File.cs:line 42"
      auto in = after.find(" in ");
      if (in != sv::npos) {
        sv loc = after.substr(in + 4);
        auto ln = loc.rfind(":line ");
        if (ln == sv::npos) ln = loc.rfind(':');
        if (ln != sv::npos) {
          auto num = loc.find_first_of("0123456789", ln);
          if (num != sv::npos) f.line = parse_int(loc.substr(num));
          loc = loc.substr(0, ln);
        }
        f.file.assign(loc);
      }
      add_frame(std::move(f), TraceLanguage::dotnet);
    } else {
      auto c = inside.rfind(':');
      if (c != sv::npos) {
        f.file.assign(inside.substr(0, c));
        f.line = parse_int(inside.substr(c + 1));
      } else {
        f.file.assign(inside);
      }
      add_frame(std::move(f), TraceLanguage::java);
    }
    return true;
  }

  bool python_frame(sv line) {
    sv s = ltrim(line);
    if (!starts_with(s, marker::python_file)) return false;
    auto q = s.find('"', 6);
    if (q == sv::npos) return false;
    Frame f;
    f.file.assign(s.substr(6, q - 6));
    sv rest = s.substr(q + 1);
    auto ln = rest.find("line ");
    if (ln != sv::npos) f.line = parse_int(rest.substr(ln + 5));
    auto in = rest.find(", in ");
    if (in != sv::npos) f.function = normalize_symbol(trim(rest.substr(in + 5)));
    sv base = basename(f.file);
    if (ends_with(base, ".py")) base.remove_suffix(3);
    f.module.assign(base);
    if (cur == nullptr) new_exception();
    add_frame(std::move(f), TraceLanguage::python);
    return true;
  }

  bool go_file_line(sv line) {
    if (line.empty() || line[0] != '\t') return false;
    sv s = trim(line);
    auto go = s.find(marker::go_file);
    if (go == sv::npos) return false;
    if (!go_collect) return true;
    sv fn = trim(prev_line);
    if (starts_with(fn, marker::created_by)) return true;
    Frame f;
    auto plus = s.find(" +0x");
    sv loc = (plus != sv::npos && plus > go) ? s.substr(0, plus) : s;
    f.file.assign(loc.substr(0, go + 3));
    f.line = parse_int(loc.substr(go + 4));
    auto open = fn.rfind('(');
    if (open != sv::npos && open > 0) fn = fn.substr(0, open);
    auto slash = fn.rfind('/');
    auto dot = fn.find('.', slash == sv::npos ? 0 : slash);
    if (dot == sv::npos) {
      f.function = normalize_symbol(fn);
    } else {
      f.module.assign(fn.substr(0, dot));
      f.function = normalize_symbol(fn.substr(dot + 1));
    }
    if (cur == nullptr) {
      auto& e = new_exception();
      e.type = "panic";
    }
    add_frame(std::move(f), TraceLanguage::go);
    return true;
  }

  // Ruby: "path:N:in 'label'" (3.4) or "path:N:in `label'" (older).
  static bool ruby_location(sv s, Frame& f, sv& rest) {
    auto in = s.find(":in ");
    if (in == sv::npos || in + 5 > s.size()) return false;
    sv loc = s.substr(0, in);
    auto c = loc.rfind(':');
    if (c == sv::npos || c + 1 >= loc.size() || !is_digit(loc[c + 1])) return false;
    char q = s[in + 4];
    if (q != '\'' && q != '`') return false;
    auto end = s.find('\'', in + 5);
    if (end == sv::npos) return false;
    f.file.assign(loc.substr(0, c));
    f.line = parse_int(loc.substr(c + 1));
    sv label = s.substr(in + 5, end - in - 5);
    // Ruby 3.4 names the owner ('Cart#average', 'block in Cart#average'), older Rubies only the
    // method (`average', `block in average'): the module is the file either way, so both give
    // one id for the same bug; the function is the method without its owner.
    for (sv kind : {sv("block "), sv("rescue "), sv("ensure ")})
      if (starts_with(label, kind)) label = kind.substr(0, kind.size() - 1);
    if (auto hash = label.find_last_of("#."); hash != sv::npos && hash > 0 && hash + 1 < label.size())
      label = label.substr(hash + 1);
    sv base = basename(f.file);
    if (ends_with(base, ".rb")) base.remove_suffix(3);
    f.module.assign(base);
    f.function = normalize_symbol(label);
    rest = s.substr(end + 1);
    return true;
  }

  bool ruby_line(sv line) {
    sv s = ltrim(line);
    bool from = starts_with(s, marker::ruby_from);
    if (from) s.remove_prefix(marker::ruby_from.size());
    Frame f;
    sv rest;
    if (!ruby_location(s, f, rest)) return false;
    if (!from) {
      // head line: ": message (Type)"
      if (!starts_with(rest, ": ")) return false;
      sv msg = rest.substr(2);
      auto& e = new_exception();
      if (msg.size() > 2 && msg.back() == ')') {
        auto open = msg.rfind(" (");
        if (open != sv::npos) {
          e.type.assign(msg.substr(open + 2, msg.size() - open - 3));
          msg = msg.substr(0, open);
        }
      }
      e.value.assign(msg);
    } else if (cur != nullptr && !cur->frames.empty() && out.language == TraceLanguage::ruby) {
      // A method written in C (core: 'Integer#/', 'Array#each', 'Kernel#raise') has no location
      // of its own: Ruby prints its caller's file:line. A frame that shares file and line with the
      // next one (its caller), other than a block / rescue / ensure body or a recursion, is one.
      Frame& prev = cur->frames.back();
      const sv fn = prev.function;
      if (prev.file == f.file && prev.line == f.line && prev.function != f.function && fn != "block" &&
          fn != "rescue" && fn != "ensure" && !starts_with(fn, "<")) {
        prev.in_app = false;
        cur->kinds.back() = FrameKind::library;
      }
    }
    add_frame(std::move(f), TraceLanguage::ruby);
    return true;
  }

  bool php_frame(sv line) {
    sv s = ltrim(line);
    if (s.size() < 3 || s[0] != '#' || !is_digit(s[1])) return false;
    auto sp = s.find(' ');
    if (sp == sv::npos) return false;
    sv rest = s.substr(sp + 1);
    if (rest == "{main}") return true;
    auto open = rest.find('(');
    auto colon = rest.find("): ");
    if (open == sv::npos || colon == sv::npos || colon < open) return false;
    Frame f;
    f.file.assign(rest.substr(0, open));
    f.line = parse_int(rest.substr(open + 1));
    sv fn = rest.substr(colon + 3);
    if (auto p = fn.find('('); p != sv::npos) fn = fn.substr(0, p);
    auto sep = fn.rfind("->");
    if (sep == sv::npos) sep = fn.rfind("::");
    if (sep != sv::npos) {
      f.module.assign(fn.substr(0, sep));
      f.function = normalize_symbol(fn.substr(sep + 2));
    } else {
      f.function = normalize_symbol(fn);
    }
    add_frame(std::move(f), TraceLanguage::php);
    return true;
  }

  void line(sv raw) {
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    sv s = trim(raw);
    std::size_t ind = indent_of(raw);
    if (suppress_indent >= 0) {
      if (static_cast<int>(ind) > suppress_indent || s.empty()) return;
      suppress_indent = -1;
    }
    if (s.empty()) {
      return;
    }
    if (starts_with_then(s, marker::suppressed, " ")) {
      suppress_indent = static_cast<int>(ind);
      return;
    }
    if (starts_with_then(s, marker::elided, " ") && (ends_with(s, " more") || s.find("omitted") != sv::npos)) return;
    if (starts_with_then(s, marker::end_of, "inner exception stack trace")) {
      if (dotnet_target > 0) --dotnet_target;
      return;
    }
    if (starts_with_then(s, marker::end_of, "stack trace") || starts_with(s, "^") || starts_with(s, "~"))
      return;
    if (at_frame(raw)) return;
    if (python_frame(raw)) {
      python_order = true;
      return;
    }
    if (out.language == TraceLanguage::none || out.language == TraceLanguage::go) {
      if (go_file_line(raw)) return;
    }
    if (starts_with(s, marker::goroutine) && ends_with(s, ":")) {
      set_lang(TraceLanguage::go);
      if (++go_goroutines > 1) go_collect = false;
      return;
    }
    if (ruby_line(raw)) return;
    if (php_frame(raw)) return;
    if (starts_with(s, marker::traceback)) {
      python_order = true;
      set_lang(TraceLanguage::python);
      new_exception();
      value_open = false;
      return;
    }
    if (starts_with(s, marker::during_handling) || starts_with(s, marker::direct_cause))
      return;
    if (starts_with(s, marker::panic) || starts_with(s, marker::fatal_error)) {
      auto& e = new_exception();
      auto c = s.find(": ");
      e.type.assign(s.substr(0, c));
      sv v = s.substr(c + 2);
      if (ends_with(v, " [recovered]")) v.remove_suffix(12);
      e.value.assign(v);
      value_open = false;
      return;
    }
    // Python: the exception line closes the current traceback.
    if (out.language == TraceLanguage::python && cur != nullptr && cur->type.empty() && ind == 0) {
      std::string t, v;
      if (parse_exception_line(s, true, t, v)) {
        cur->type = std::move(t);
        cur->value = std::move(v);
        value_open = true;
        return;
      }
    }
    // Java / .NET / JS / PHP exception header lines.
    sv h = s;
    bool caused = false;
    if (starts_with_then(h, marker::caused_by, " ")) {
      h.remove_prefix(marker::caused_by.size() + 1);
      caused = true;
    } else if (starts_with_then(h, marker::thread_exception, "\"")) {
      auto q = h.find("\" ", marker::thread_exception.size() + 1);
      if (q != sv::npos) h = h.substr(q + 2);
    } else if (starts_with(h, marker::unhandled) || starts_with(h, marker::unhandled_old)) {
      h.remove_prefix(marker::unhandled.size());  // both are 21 bytes
    } else if (starts_with(h, marker::php_next)) {
      h.remove_prefix(marker::php_next.size());
    } else if (auto u = h.find("Uncaught "); u != sv::npos && starts_with(h, "PHP ")) {
      h = h.substr(u + 9);
      python_order = true;
    } else if (starts_with_then(h, marker::cause, " ")) {
      h.remove_prefix(marker::cause.size() + 1);
      caused = true;
    }
    if (ind == 0 || caused) {
      // .NET: "A: x ---> B: y ---> C: z" on one line, innermost last.
      std::size_t parts = 0;
      bool ok = false;
      while (true) {
        auto arrow = h.find(" ---> ");
        sv part = arrow == sv::npos ? h : h.substr(0, arrow);
        std::string t, v;
        if (!parse_exception_line(part, false, t, v)) break;
        ok = true;
        auto& e = new_exception();
        e.type = std::move(t);
        e.value = std::move(v);
        if (python_order && !e.value.empty()) {
          // PHP: "msg in /p/a.php:3"
          auto in = e.value.rfind(" in /");
          if (in != std::string::npos) e.value.resize(in);
        }
        ++parts;
        if (arrow == sv::npos) break;
        h = h.substr(arrow + 6);
      }
      if (ok) {
        dotnet_target = out.chain.size() - 1;
        value_open = true;
        return;
      }
    }
    if (value_open && cur != nullptr && cur->frames.empty()) {
      cur->value.push_back('\n');
      cur->value.append(s);
    }
  }
};

bool has_prefix_any(sv s, std::initializer_list<sv> prefixes) {
  for (sv p : prefixes)
    if (starts_with(s, p)) return true;
  return false;
}

bool contains_any(sv s, std::initializer_list<sv> parts) {
  for (sv p : parts)
    if (s.find(p) != sv::npos) return true;
  return false;
}

// A package or directory segment that holds test code ("com.acme.test.Foo", "/srv/tests/x.py").
bool in_test_place(sv module, sv file) {
  auto has_segment = [](sv s, sv seps) {
    std::size_t start = 0;
    while (start <= s.size()) {
      std::size_t end = s.find_first_of(seps, start);
      sv part = s.substr(start, end == sv::npos ? sv::npos : end - start);
      for (sv t : {sv("test"), sv("tests"), sv("testing"), sv("spec"), sv("specs"), sv("__tests__")})
        if (part == t) return true;
      if (end == sv::npos) break;
      start = end + 1;
    }
    return false;
  };
  return has_segment(module.substr(0, module.rfind('.') == sv::npos ? 0 : module.rfind('.')), ".") ||
         has_segment(file.substr(0, file.find_last_of("/\\") == sv::npos ? 0 : file.find_last_of("/\\")), "/\\");
}

// Test-harness code: test classes, test functions, test files. A name is not enough by itself
// where it is also an ordinary word: "TestimonialService", "TestDataFactory" or a domain
// "PricingSpec" are app code unless their package/path or their file says test.
bool is_test_frame(const Frame& f) {
  sv mod = f.module;
  sv simple = mod.substr(mod.rfind('.') == sv::npos ? 0 : mod.rfind('.') + 1);
  if (auto d = simple.find('$'); d != sv::npos) simple = simple.substr(0, d);
  if (ends_with(simple, "Test") || ends_with(simple, "Tests") || ends_with(simple, "TestCase")) return true;
  sv file = basename(f.file);
  if (starts_with(file, "test_") || ends_with(file, "_test.py") || ends_with(file, "_test.go") ||
      contains_any(file, {".test.", ".spec.", "_spec.rb", "_test.rb"}))
    return true;
  // Spock, ScalaTest and Kotest specifications: "…Spec" in a .groovy / .scala / .kt file.
  if (ends_with(simple, "Spec") &&
      (ends_with(file, "Spec.groovy") || ends_with(file, "Spec.scala") || ends_with(file, "Spec.kt")))
    return true;
  const bool test_prefix = starts_with(simple, "Test") && simple.size() > 4 &&
                           ((simple[4] >= 'A' && simple[4] <= 'Z') || simple[4] == '_');
  return (test_prefix || ends_with(simple, "Spec")) && in_test_place(mod, f.file);
}

}  // namespace

std::string_view to_string(TraceLanguage lang) {
  switch (lang) {
    case TraceLanguage::none: return "none";
    case TraceLanguage::java: return "java";
    case TraceLanguage::python: return "python";
    case TraceLanguage::go: return "go";
    case TraceLanguage::javascript: return "javascript";
    case TraceLanguage::dotnet: return "dotnet";
    case TraceLanguage::ruby: return "ruby";
    case TraceLanguage::php: return "php";
  }
  return "none";
}

FrameKind classify_frame(const Frame& f, TraceLanguage lang) {
  sv mod = f.module;
  sv file = f.file;
  switch (lang) {
    case TraceLanguage::java:
      if (has_prefix_any(mod, {"java.", "javax.", "jdk.", "sun.", "com.sun.", "kotlin.",
                               "kotlinx.", "scala.", "junit.", "org.junit.", "org.testng.",
                               "org.apache.tools.ant.", "org.gradle.", "org.apache.maven.",
                               "org.eclipse.jdt.", "com.intellij.", "org.hamcrest.",
                               "org.springframework.", "net.sf.cglib.", "org.aspectj.",
                               "android.", "dalvik.", "com.android.internal.", "groovy.",
                               "org.codehaus.groovy.", "clojure.lang."}) ||
          mod.find("$$Lambda") != sv::npos || f.file == "Native Method")
        return FrameKind::library;
      break;
    case TraceLanguage::python:
      if (contains_any(file, {"site-packages", "dist-packages", "/lib/python", "<frozen",
                              "\\lib\\", "/usr/lib/", "<string>"}))
        return FrameKind::library;
      break;
    case TraceLanguage::go: {
      if (contains_any(file, {"/usr/local/go/", "/go/src/runtime/", "/pkg/mod/"}))
        return FrameKind::library;
      // stdlib packages have no dot in their first path element ("net/http", "runtime").
      sv first = mod.substr(0, mod.find('/'));
      if (!mod.empty() && mod != "main" && first.find('.') == sv::npos) return FrameKind::library;
      break;
    }
    case TraceLanguage::javascript:
      if (starts_with(file, "node:") || starts_with(file, "internal/") ||
          contains_any(file, {"node_modules", "<anonymous>"}) || file.empty() || file == "native")
        return FrameKind::library;
      break;
    case TraceLanguage::dotnet:
      if (has_prefix_any(mod, {"System.", "Microsoft.", "NUnit.", "Xunit.", "xunit."}) ||
          mod == "System")
        return FrameKind::library;
      break;
    case TraceLanguage::ruby:
      if (contains_any(file, {"/gems/", "/lib/ruby/", "<internal:"})) return FrameKind::library;
      break;
    case TraceLanguage::php:
      if (contains_any(file, {"/vendor/"})) return FrameKind::library;
      break;
    case TraceLanguage::none: break;
  }
  if (is_test_frame(f)) return FrameKind::test;
  return FrameKind::app;
}

std::string normalize_symbol(std::string_view name) {
  std::string s(name);
  auto cut_at = [&](std::string_view marker, std::string_view replacement) {
    auto p = s.find(marker);
    if (p != std::string::npos) s = s.substr(0, p) + std::string(replacement);
  };
  cut_at("$$Lambda", "$$Lambda");
  cut_at("$$EnhancerBy", "$$EnhancerBy");
  cut_at("$$FastClassBy", "$$FastClassBy");
  cut_at("_$$_javassist", "_$$_javassist");
  cut_at("$HibernateProxy$", "$HibernateProxy$");
  if (s.rfind("GeneratedMethodAccessor", 0) == 0 || s.find(".GeneratedMethodAccessor") != std::string::npos ||
      s.find("GeneratedConstructorAccessor") != std::string::npos ||
      s.find("GeneratedSerializationConstructorAccessor") != std::string::npos) {
    while (!s.empty() && is_digit(s.back())) s.pop_back();
  }
  // lambda$outer$0 -> lambda$outer ; Foo$1 -> Foo$ ; $fn__123 -> $fn__ ; main.func2 -> main.func
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    out.push_back(c);
    bool counter_start = (c == '$' || (c == '_' && i > 0 && s[i - 1] == '_'));
    if (counter_start) {
      std::size_t j = i + 1;
      while (j < s.size() && is_digit(s[j])) ++j;
      if (j > i + 1 && (j == s.size() || s[j] == '$' || s[j] == '.')) i = j - 1;
    }
  }
  // Go closures: ".func1" / ".func1.2"
  for (std::size_t p = out.find(".func"); p != std::string::npos; p = out.find(".func", p + 5)) {
    std::size_t j = p + 5;
    std::size_t k = j;
    while (k < out.size() && (is_digit(out[k]) || (out[k] == '.' && k + 1 < out.size() && is_digit(out[k + 1])))) ++k;
    if (k > j) out.erase(j, k - j);
  }
  return out;
}

ParsedTrace parse_stack_trace(std::string_view event) {
  Parser p;
  std::size_t pos = 0;
  while (pos <= event.size()) {
    auto nl = event.find('\n', pos);
    sv line = event.substr(pos, nl == sv::npos ? sv::npos : nl - pos);
    p.line(line);
    p.prev_line = line;
    if (nl == sv::npos) break;
    pos = nl + 1;
  }
  if (p.python_order) std::reverse(p.out.chain.begin(), p.out.chain.end());
  // Drop chain entries that carry neither a type nor frames (e.g. stray headers).
  std::erase_if(p.out.chain, [](const ParsedException& e) { return e.type.empty() && e.frames.empty(); });
  return std::move(p.out);
}

}  // namespace selfheal::fingerprint
