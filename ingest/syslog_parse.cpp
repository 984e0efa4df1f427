#include "ingest/syslog_parse.hpp"

#include <array>
#include <ctime>

#include "schema/time_format.hpp"

namespace selfheal::ingest {
namespace {

constexpr std::array<std::string_view, 24> kFacilities = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
constexpr std::array<std::string_view, 8> kSeverities = {"emerg", "alert", "crit", "err",
                                                         "warning", "notice", "info", "debug"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool printable_ascii(char c) { return c >= 33 && c <= 126; }

SyslogParse refuse(SyslogReject r, std::string reason) {
  SyslogParse p;
  p.reject = r;
  p.reason = std::move(reason);
  return p;
}

// Reads "<N>" (1-3 digits, no leading zero unless "0", N <= 191). Advances `s` past it.
bool read_pri(std::string_view& s, int& pri) {
  if (s.size() < 3 || s[0] != '<') return false;
  std::size_t i = 1;
  int v = 0;
  while (i < s.size() && i <= 4 && is_digit(s[i])) v = v * 10 + (s[i++] - '0');
  const std::size_t digits = i - 1;
  if (digits == 0 || digits > 3 || i >= s.size() || s[i] != '>') return false;
  if (digits > 1 && s[1] == '0') return false;
  if (v > 191) return false;
  pri = v;
  s.remove_prefix(i + 1);
  return true;
}

// Next space-separated header field of RFC 5424 (1..max printable ASCII characters).
bool header_field(std::string_view& s, std::size_t max, std::string_view& out) {
  std::size_t i = 0;
  while (i < s.size() && s[i] != ' ') {
    if (!printable_ascii(s[i])) return false;
    ++i;
  }
  if (i == 0 || i > max) return false;
  out = s.substr(0, i);
  s.remove_prefix(i);
  if (!s.empty()) s.remove_prefix(1);  // the SP
  return true;
}

std::string nil_to_empty(std::string_view v) { return v == "-" ? std::string() : std::string(v); }

std::string_view strip_line_end(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == '\0')) s.remove_suffix(1);
  return s;
}

std::string_view strip_bom(std::string_view s) {
  if (s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  return s;
}

// STRUCTURED-DATA: "-" or one or more [SD-ID *(SP PARAM-NAME="VALUE")]. Advances past it.
bool read_sd(std::string_view& s, std::vector<SdParam>& out, std::string& why) {
  if (!s.empty() && s[0] == '-') {
    s.remove_prefix(1);
    return true;
  }
  if (s.empty() || s[0] != '[') {
    why = "expected '[' or '-'";
    return false;
  }
  auto name_char = [](char c) { return printable_ascii(c) && c != '=' && c != ']' && c != '"' && c != ' '; };
  while (!s.empty() && s[0] == '[') {
    s.remove_prefix(1);
    std::size_t i = 0;
    while (i < s.size() && name_char(s[i])) ++i;
    if (i == 0 || i > 32) {
      why = "SD-ID missing or longer than 32";
      return false;
    }
    const std::string id(s.substr(0, i));
    s.remove_prefix(i);
    for (;;) {
      if (s.empty()) {
        why = "unterminated SD-ELEMENT";
        return false;
      }
      if (s[0] == ']') {
        s.remove_prefix(1);
        break;
      }
      if (s[0] != ' ') {
        why = "expected ' ' or ']' in SD-ELEMENT " + id;
        return false;
      }
      s.remove_prefix(1);
      i = 0;
      while (i < s.size() && name_char(s[i])) ++i;
      if (i == 0 || i > 32 || i + 1 >= s.size() || s[i] != '=' || s[i + 1] != '"') {
        why = "bad SD-PARAM in " + id;
        return false;
      }
      SdParam p;
      p.id = id;
      p.name.assign(s.substr(0, i));
      s.remove_prefix(i + 2);
      bool closed = false;
      while (!s.empty()) {
        char c = s[0];
        if (c == '\\' && s.size() >= 2 && (s[1] == '"' || s[1] == '\\' || s[1] == ']')) {
          p.value.push_back(s[1]);
          s.remove_prefix(2);
          continue;
        }
        s.remove_prefix(1);
        if (c == '"') {
          closed = true;
          break;
        }
        p.value.push_back(c);
      }
      if (!closed) {
        why = "unterminated PARAM-VALUE in " + id;
        return false;
      }
      out.push_back(std::move(p));
    }
  }
  return true;
}

SyslogParse parse_5424(std::string_view s, SyslogParse p) {
  SyslogMessage& m = p.message;
  m.rfc5424 = true;
  std::string_view version, ts, host, app, procid, msgid;
  if (!header_field(s, 2, version) || version != "1")
    return refuse(SyslogReject::bad_version, "RFC 5424 VERSION must be 1");
  if (!header_field(s, 64, ts)) return refuse(SyslogReject::bad_header, "missing TIMESTAMP");
  if (ts != "-") {
    auto t = parse_time(ts);
    if (!t || ts.size() < 20 || ts[4] != '-' || ts[10] != 'T')
      return refuse(SyslogReject::bad_timestamp, "TIMESTAMP is not RFC 3339: " + std::string(ts.substr(0, 40)));
    m.ts = *t;
  }
  if (!header_field(s, 255, host)) return refuse(SyslogReject::bad_header, "missing or bad HOSTNAME");
  if (!header_field(s, 48, app)) return refuse(SyslogReject::bad_header, "missing or bad APP-NAME");
  if (!header_field(s, 128, procid)) return refuse(SyslogReject::bad_header, "missing or bad PROCID");
  if (!header_field(s, 32, msgid)) return refuse(SyslogReject::bad_header, "missing or bad MSGID");
  std::string why;
  if (!read_sd(s, m.sd, why)) return refuse(SyslogReject::bad_structured_data, why);
  if (!s.empty()) {
    if (s[0] != ' ') return refuse(SyslogReject::bad_structured_data, "expected ' ' after STRUCTURED-DATA");
    s.remove_prefix(1);
  }
  m.host = nil_to_empty(host);
  m.app = nil_to_empty(app);
  m.procid = nil_to_empty(procid);
  m.msgid = nil_to_empty(msgid);
  m.msg.assign(strip_bom(s));
  return p;
}

// "Mmm dd hh:mm:ss" (dd may be " 5"). Returns the time or 0.
UnixMs read_3164_time(std::string_view s, UnixMs now_ms) {
  if (s.size() < 15 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' || s[12] != ':') return 0;
  int mon = -1;
  for (std::size_t i = 0; i < kMonths.size(); ++i)
    if (s.substr(0, 3) == kMonths[i]) mon = static_cast<int>(i);
  if (mon < 0) return 0;
  auto two = [&](std::size_t at, bool space_ok) -> int {
    char a = s[at], b = s[at + 1];
    if (!is_digit(b)) return -1;
    if (a == ' ' && space_ok) return b - '0';
    if (!is_digit(a)) return -1;
    return (a - '0') * 10 + (b - '0');
  };
  int day = two(4, true), hh = two(7, false), mm = two(10, false), ss = two(13, false);
  if (day < 1 || day > 31 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) return 0;
  std::time_t now_s = static_cast<std::time_t>(now_ms / 1000);
  std::tm now_tm{};
  gmtime_r(&now_s, &now_tm);
  for (int back = 0; back < 2; ++back) {
    std::tm tm{};
    tm.tm_year = now_tm.tm_year - back;
    tm.tm_mon = mon;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    const UnixMs t = static_cast<UnixMs>(timegm(&tm)) * 1000;
    if (t <= now_ms + 86'400'000) return t;
  }
  return 0;
}

SyslogParse parse_3164(std::string_view s, UnixMs now_ms, SyslogParse p) {
  SyslogMessage& m = p.message;
  // Time: "Mmm dd hh:mm:ss", or an RFC 3339 stamp (rsyslog's high-precision traditional format).
  if (UnixMs t = read_3164_time(s, now_ms); t != 0) {
    m.ts = t;
    s.remove_prefix(15);
    if (!s.empty() && s[0] == ' ') s.remove_prefix(1);
  } else if (s.size() >= 20 && is_digit(s[0]) && s[4] == '-' && s[10] == 'T') {
    auto sp = s.find(' ');
    if (auto t3339 = parse_time(s.substr(0, sp)); t3339) {
      m.ts = *t3339;
      s.remove_prefix(sp == std::string_view::npos ? s.size() : sp + 1);
    }
  }
  // HOSTNAME, when the first token is not already the TAG ("su[12]:", "cron:").
  if (m.ts != 0) {
    auto sp = s.find(' ');
    if (sp != std::string_view::npos && sp > 0) {
      std::string_view tok = s.substr(0, sp);
      bool tag_like = tok.back() == ':' || tok.find('[') != std::string_view::npos;
      bool ascii = true;
      for (char c : tok) ascii = ascii && printable_ascii(c);
      if (!tag_like && ascii && tok.size() <= 255) {
        m.host.assign(tok);
        s.remove_prefix(sp + 1);
      }
    }
  }
  // TAG[pid]: — alphanumerics and a few punctuation marks, at most 48 characters.
  std::size_t i = 0;
  while (i < s.size() && i < 49 && printable_ascii(s[i]) && s[i] != '[' && s[i] != ':') ++i;
  if (i > 0 && i <= 48 && i < s.size() && (s[i] == '[' || s[i] == ':')) {
    std::string_view tag = s.substr(0, i);
    std::string_view rest = s.substr(i);
    std::string_view pid;
    bool ok = true;
    if (rest[0] == '[') {
      auto close = rest.find(']');
      ok = close != std::string_view::npos && close > 1 && close <= 129;
      if (ok) {
        pid = rest.substr(1, close - 1);
        rest.remove_prefix(close + 1);
      }
    }
    if (ok && !rest.empty() && rest[0] == ':') {
      rest.remove_prefix(1);
      if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
      m.app.assign(tag);
      m.procid.assign(pid);
      s = rest;
    }
  }
  m.msg.assign(strip_bom(s));
  return p;
}

}  // namespace

std::string_view to_string(SyslogReject r) {
  switch (r) {
    case SyslogReject::none: return "none";
    case SyslogReject::empty: return "empty";
    case SyslogReject::bad_pri: return "bad_pri";
    case SyslogReject::bad_version: return "bad_version";
    case SyslogReject::bad_header: return "bad_header";
    case SyslogReject::bad_timestamp: return "bad_timestamp";
    case SyslogReject::bad_structured_data: return "bad_structured_data";
    case SyslogReject::bad_framing: return "bad_framing";
    case SyslogReject::too_large: return "too_large";
    case SyslogReject::nul_byte: return "nul_byte";
  }
  return "none";
}

std::string_view facility_name(int f) {
  return f >= 0 && f < static_cast<int>(kFacilities.size()) ? kFacilities[static_cast<std::size_t>(f)] : "unknown";
}
std::string_view severity_name(int s) {
  return s >= 0 && s < static_cast<int>(kSeverities.size()) ? kSeverities[static_cast<std::size_t>(s)] : "unknown";
}

Severity to_level(int severity) {
  if (severity <= 2) return Severity::critical;
  if (severity == 3) return Severity::error;
  if (severity == 4) return Severity::warning;
  if (severity <= 6) return Severity::info;
  return Severity::debug;
}

SyslogParse parse_syslog(std::string_view frame, UnixMs now_ms) {
  std::string_view s = strip_line_end(frame);
  while (!s.empty() && (s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  if (s.empty()) return refuse(SyslogReject::empty, "empty message");
  if (s.find('\0') != std::string_view::npos) return refuse(SyslogReject::nul_byte, "message holds a NUL byte");
  SyslogParse p;
  int pri = 0;
  if (!read_pri(s, pri)) return refuse(SyslogReject::bad_pri, "message must start with <PRI>, 0-191");
  p.message.facility = pri / 8;
  p.message.severity = pri % 8;
  if (s.size() >= 2 && is_digit(s[0]) && (s[1] == ' ' || (is_digit(s[1]) && s.size() >= 3 && s[2] == ' ')))
    return parse_5424(s, std::move(p));
  return parse_3164(s, now_ms, std::move(p));
}

Labels syslog_labels(const SyslogMessage& m, std::size_t max_sd_labels) {
  Labels out;
  if (!m.host.empty()) out.emplace_back("host", m.host);
  if (!m.app.empty()) out.emplace_back("app", m.app);
  if (!m.procid.empty()) out.emplace_back("procid", m.procid);
  if (!m.msgid.empty()) out.emplace_back("msgid", m.msgid);
  out.emplace_back("syslog_facility", std::string(facility_name(m.facility)));
  out.emplace_back("syslog_severity", std::string(severity_name(m.severity)));
  std::size_t n = 0;
  for (const auto& p : m.sd) {
    if (n >= max_sd_labels) break;
    std::string key = "sd_" + p.id + "_" + p.name;
    for (char& c : key)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) c = '_';
    bool dup = false;
    for (const auto& kv : out) dup = dup || kv.first == key;
    if (dup) continue;
    out.emplace_back(std::move(key), p.value.substr(0, 1024));
    ++n;
  }
  return out;
}

void SyslogFramer::feed(std::string_view data, std::vector<Frame>& out) {
  if (broken_) return;
  while (!data.empty()) {
    if (skip_ > 0) {  // discarding the rest of an oversized octet-counted frame
      std::size_t n = std::min(skip_, data.size());
      skip_ -= n;
      data.remove_prefix(n);
      continue;
    }
    if (skipping_lf_) {
      auto lf = data.find('\n');
      if (lf == std::string_view::npos) return;
      data.remove_prefix(lf + 1);
      skipping_lf_ = false;
      continue;
    }
    buf_.append(data);
    data = {};
    std::string_view b = buf_;
    std::size_t used = 0;
    while (used < b.size() && !broken_ && skip_ == 0 && !skipping_lf_) {
      std::string_view rest = b.substr(used);
      if (is_digit(rest[0])) {
        // Octet counting: MSG-LEN SP SYSLOG-MSG, MSG-LEN without leading zeros, at most 9 digits.
        std::size_t i = 0;
        std::uint64_t len = 0;
        while (i < rest.size() && i < 10 && is_digit(rest[i])) len = len * 10 + static_cast<std::uint64_t>(rest[i++] - '0');
        if (i == rest.size()) break;  // length still arriving
        if (rest[i] != ' ' || i > 9 || rest[0] == '0') {
          Frame f;
          f.reject = SyslogReject::bad_framing;
          f.bytes.assign(rest.substr(0, std::min<std::size_t>(rest.size(), max_)));
          f.size = rest.size();
          out.push_back(std::move(f));
          broken_ = true;
          used = b.size();
          break;
        }
        if (len > max_) {
          Frame f;
          f.reject = SyslogReject::too_large;
          std::string_view head = rest.substr(i + 1, std::min<std::uint64_t>(len, max_));
          f.bytes.assign(head);
          f.size = len;
          out.push_back(std::move(f));
          const std::size_t have = rest.size() - (i + 1);
          if (have >= len) {
            used += i + 1 + static_cast<std::size_t>(len);
          } else {
            skip_ = static_cast<std::size_t>(len) - have;
            used = b.size();
          }
          continue;
        }
        if (rest.size() - (i + 1) < len) break;  // body still arriving
        Frame f;
        f.bytes.assign(rest.substr(i + 1, static_cast<std::size_t>(len)));
        f.size = len;
        out.push_back(std::move(f));
        used += i + 1 + static_cast<std::size_t>(len);
        continue;
      }
      // Non-transparent framing: up to LF (a CR before it is dropped by the parser).
      auto lf = rest.find('\n');
      if (lf == std::string_view::npos) {
        if (rest.size() > max_) {
          Frame f;
          f.reject = SyslogReject::too_large;
          f.bytes.assign(rest.substr(0, max_));
          f.size = rest.size();
          out.push_back(std::move(f));
          skipping_lf_ = true;
          used = b.size();
        }
        break;
      }
      if (lf > max_) {
        Frame f;
        f.reject = SyslogReject::too_large;
        f.bytes.assign(rest.substr(0, max_));
        f.size = lf;
        out.push_back(std::move(f));
      } else if (lf > 0 && !(lf == 1 && rest[0] == '\r')) {
        Frame f;
        f.bytes.assign(rest.substr(0, lf));
        f.size = lf;
        out.push_back(std::move(f));
      }
      used += lf + 1;
    }
    buf_.erase(0, used);
  }
}

void SyslogFramer::finish(std::vector<Frame>& out) {
  if (broken_ || buf_.empty()) return;
  Frame f;
  if (is_digit(buf_[0])) {
    f.reject = SyslogReject::bad_framing;
    f.size = buf_.size();
    f.bytes = std::move(buf_);
    out.push_back(std::move(f));
  } else if (!skipping_lf_) {
    f.size = buf_.size();
    f.bytes = std::move(buf_);
    out.push_back(std::move(f));
  }
  buf_.clear();
}

}  // namespace selfheal::ingest
