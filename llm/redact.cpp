#include "llm/redact.hpp"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <cctype>

namespace selfheal::llm {

// How a match is replaced: the whole match, or only the capture group `secret_group` (keeping
// "password=" or "Bearer " around it for the reader). `check` filters candidates (Luhn, inet_pton).
struct Redactor::Rule {
  std::string kind;
  std::unique_ptr<RE2> re;
  int secret_group = 0;
  bool (*check)(std::string_view) = nullptr;
};

bool luhn_valid(std::string_view s) {
  int digits = 0, sum = 0;
  bool dbl = false;
  for (auto it = s.rbegin(); it != s.rend(); ++it) {
    char c = *it;
    if (c == ' ' || c == '-') continue;
    if (c < '0' || c > '9') return false;
    int d = c - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
    ++digits;
  }
  return digits >= 13 && digits <= 19 && sum % 10 == 0;
}

namespace {

bool ipv4_valid(std::string_view s) {
  std::string str(s);
  in_addr a{};
  return inet_pton(AF_INET, str.c_str(), &a) == 1;
}

bool ipv6_valid(std::string_view s) {
  // Avoid C++/Rust paths ("std::io", "Foo::bar") and times: at least two hex groups and a digit.
  int groups = 0;
  bool digit = false, in_group = false;
  for (char c : s) {
    if (c == '%') break;
    if (c == ':') {
      in_group = false;
    } else {
      if (!in_group) ++groups;
      in_group = true;
      digit = digit || (c >= '0' && c <= '9');
    }
  }
  if (!digit || (groups < 2 && s != "::1")) return false;
  std::string str(s);
  // A zone id (%eth0) is not accepted by inet_pton.
  if (auto pct = str.find('%'); pct != std::string::npos) str.resize(pct);
  in6_addr a{};
  return inet_pton(AF_INET6, str.c_str(), &a) == 1;
}

}  // namespace

Redactor::Redactor(std::vector<Rule> rules) : rules_(std::move(rules)) {}
Redactor::~Redactor() = default;

Result<std::unique_ptr<Redactor>> Redactor::create(const RedactConfig& cfg) {
  std::vector<Rule> rules;
  RE2::Options opts;
  opts.set_log_errors(false);
  auto add = [&](std::string kind, const std::string& pattern, int group = 0,
                 bool (*check)(std::string_view) = nullptr) -> Result<void> {
    auto re = std::make_unique<RE2>(pattern, opts);
    if (!re->ok()) return make_error(ErrorCode::config, "redact pattern " + kind + ": " + re->error());
    rules.push_back(Rule{std::move(kind), std::move(re), group, check});
    return {};
  };
  // Order matters: whole blocks and structured tokens before the generic key=value rule, so a
  // JWT after "token=" is reported as a JWT and nothing is half-replaced.
  struct Builtin {
    const char* kind;
    const char* pattern;
    int group;
    bool (*check)(std::string_view);
  };
  static const Builtin builtins[] = {
      {"private_key",
       R"((?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|$))", 0,
       nullptr},
      {"jwt", R"(\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,})", 0, nullptr},
      {"aws_access_key", R"(\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[0-9A-Z]{16}\b)", 0, nullptr},
      {"aws_secret_key",
       R"((?i)(aws_?secret_?(?:access_?)?key|secretaccesskey)(?:["']?\s*[:=]\s*["']?)([A-Za-z0-9/+=]{40}))", 2,
       nullptr},
      {"github_token", R"(\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,255}\b)", 0, nullptr},
      {"github_token", R"(\bgithub_pat_[A-Za-z0-9_]{22,255})", 0, nullptr},
      {"slack_token", R"(\bxox[abposre]-[A-Za-z0-9-]{8,})", 0, nullptr},
      {"slack_webhook", R"(https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+)", 0, nullptr},
      {"api_key", R"(\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,})", 0, nullptr},
      {"bearer", R"((?i)\b(bearer|basic)\s+([A-Za-z0-9._~+/=-]{8,}))", 2, nullptr},
      {"url_credentials", R"((?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@)", 1, nullptr},
      {"secret_value",
       // A key starts a word or follows _ or - (db_password=, x-api-key:), so "bypass=1" stays.
       R"((?i)(?:\b|[_-])(password|passwd|pwd|pass|secret|client_secret|token|access_token|refresh_token|auth_token|api[_-]?key|private[_-]key|credentials?)(["']?\s*[:=]\s*["']?)([^\s"'&,;}\]]+))",
       3, nullptr},
      {"email", R"(\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b)", 0, nullptr},
      {"credit_card", R"(\b[2-6](?:[ -]?\d){12,18}\b)", 0, &luhn_valid},
      {"ipv4", R"(\b(?:\d{1,3}\.){3}\d{1,3}\b)", 0, &ipv4_valid},
      {"ipv6", R"((?i)(?:^|[^0-9a-z_:.])((?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%[0-9a-z]+)?))", 1, &ipv6_valid},
  };
  for (const auto& b : builtins) {
    std::string kind = b.kind;
    if (!cfg.emails && kind == "email") continue;
    if (!cfg.ips && (kind == "ipv4" || kind == "ipv6")) continue;
    if (auto r = add(kind, b.pattern, b.group, b.check); !r) return r.error();
  }
  for (std::size_t i = 0; i < cfg.patterns.size(); ++i) {
    if (auto r = add("custom", cfg.patterns[i]); !r) {
      return make_error(ErrorCode::config, "llm.redact.patterns[" + std::to_string(i) + "]: " + r.error().message);
    }
  }
  return std::unique_ptr<Redactor>(new Redactor(std::move(rules)));
}

std::string Redactor::redact(std::string_view text) const {
  std::map<std::string, int> ignored;
  return redact(text, ignored);
}

std::string Redactor::redact(std::string_view text, std::map<std::string, int>& counts) const {
  std::string cur(text);
  for (const auto& rule : rules_) {
    const RE2& re = *rule.re;
    const int ngroups = re.NumberOfCapturingGroups();
    const int want = std::max(rule.secret_group, 0);
    std::vector<re2::StringPiece> groups(static_cast<std::size_t>(ngroups + 1));
    std::string out;
    out.reserve(cur.size());
    std::size_t pos = 0;   // copied up to here
    std::size_t scan = 0;  // next search start
    bool changed = false;
    re2::StringPiece input(cur);
    while (scan <= cur.size() &&
           re.Match(input, scan, cur.size(), RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
      const re2::StringPiece whole = groups[0];
      const std::size_t mstart = static_cast<std::size_t>(whole.data() - cur.data());
      const std::size_t mend = mstart + whole.size();
      re2::StringPiece secret = want <= ngroups ? groups[static_cast<std::size_t>(want)] : whole;
      if (secret.data() == nullptr || secret.empty()) secret = whole;
      const std::size_t sstart = static_cast<std::size_t>(secret.data() - cur.data());
      const std::size_t send = sstart + secret.size();
      std::string_view sv(secret.data(), secret.size());
      bool already = sv.rfind("[REDACTED:", 0) == 0;
      if (!whole.empty() && !already && (!rule.check || rule.check(sv))) {
        out.append(cur, pos, sstart - pos);
        out += "[REDACTED:" + rule.kind + "]";
        pos = send;
        ++counts[rule.kind];
        changed = true;
      }
      scan = mend > scan ? mend : scan + 1;
    }
    if (changed) {
      out.append(cur, pos, std::string::npos);
      cur = std::move(out);
    }
  }
  return cur;
}

}  // namespace selfheal::llm
