#include "schema/redact.hpp"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace selfheal {

// How a match is replaced: the whole match, or only the secret (the first non-empty capture group
// from `secret_group` on, keeping "password=" or "Bearer " around it for the reader). `check`
// filters candidates (Luhn, inet_pton, the key's name, the token's randomness); it sees the secret
// and, for key=value rules, the key (capture group `key_group`).
struct Redactor::Rule {
  std::string kind;
  std::unique_ptr<RE2> re;
  int secret_group = 0;
  int key_group = 0;
  bool (*check)(std::string_view secret, std::string_view key) = nullptr;
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

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_lower(c) || is_upper(c) || is_digit(c); }

// "DB_PASSWORD" -> {db, password}; "x-api-key" -> {x, api, key}; "apiKey" -> {api, key}.
std::vector<std::string> key_segments(std::string_view key) {
  std::vector<std::string> out;
  std::string cur;
  char prev = 0;
  for (char c : key) {
    if (!is_alnum(c)) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      if (is_upper(c) && is_lower(prev) && !cur.empty()) {  // camelCase boundary
        out.push_back(std::move(cur));
        cur.clear();
      }
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    prev = c;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

bool ipv4_valid(std::string_view s, std::string_view) {
  std::string str(s);
  in_addr a{};
  return inet_pton(AF_INET, str.c_str(), &a) == 1;
}

bool ipv6_valid(std::string_view s, std::string_view) {
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

bool luhn_check(std::string_view s, std::string_view) { return luhn_valid(s); }

// The value of a key=value pair is a secret when the key names one; an auth scheme word or an
// obvious non-value (null, true...) is not a secret itself.
bool secret_pair(std::string_view value, std::string_view key) {
  static constexpr std::array<std::string_view, 9> not_values = {"bearer", "basic", "digest", "null", "none",
                                                                 "nil",    "true",  "false",  "undefined"};
  std::string v(value);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (one_of(v, not_values)) return false;
  return secret_key_name(key);
}

bool random_token(std::string_view s, std::string_view) { return high_entropy_token(s); }

// An AWS secret access key on its own: 40 base64 characters with both cases (a SHA-1 in hex has one).
bool aws_secret_shape(std::string_view s, std::string_view) {
  const bool lower = std::any_of(s.begin(), s.end(), is_lower), upper = std::any_of(s.begin(), s.end(), is_upper);
  return lower && upper && high_entropy_token(s);
}

}  // namespace

bool secret_key_name(std::string_view key) {
  const auto seg = key_segments(key);
  if (seg.empty()) return false;
  std::string flat;
  for (const auto& s : seg) flat += s;
  // A property of a secret (how many tokens, which type, its name or where it is stored) is not one.
  static constexpr std::array<std::string_view, 36> properties = {
      "count",   "counts",  "len",     "length", "size",   "limit",    "max",      "min",      "ttl",
      "expiry",  "expires", "expired", "expiration", "type", "types", "name",     "names",    "path",
      "file",    "ref",     "arn",     "version",  "used",   "remaining", "age",    "at",       "enabled",
      "required", "valid",  "invalid", "missing",  "format", "kind",     "tokens",   "header",   "field"};
  if (seg.size() > 1 && one_of(seg.back(), properties)) return false;
  if (seg.size() == 1 && seg[0] == "tokens") return false;
  // Whole words anywhere in the name, also glued to a prefix (PGPASSWORD, MYSQL_ROOT_PASSWORD).
  static constexpr std::array<std::string_view, 15> strong = {
      "password", "passwd",    "passphrase", "secret",   "credential", "apikey", "privatekey", "accesskey",
      "secretkey", "sessionid", "sessid",    "authtoken", "cookie",    "signature", "token"};
  for (auto w : strong)
    if (flat.find(w) != std::string::npos) return flat.find("tokeniz") == std::string::npos;
  // Short words only as a whole segment: db_pass, MYSQL_PWD, sid, auth, sig, session.
  static constexpr std::array<std::string_view, 11> short_words = {"pass", "pwd",     "pw",   "psk",  "auth", "sid",
                                                                   "sig",  "session", "sess", "hmac", "otp"};
  for (const auto& s : seg)
    if (one_of(s, short_words)) return true;
  // "key": an environment-style name (STRIPE_KEY, ENCRYPTION_KEY) or a key of a known secret kind
  // (api_key, x-api-key, signing_key); a cache_key, partition_key or a bare key= is not a secret.
  static constexpr std::array<std::string_view, 24> key_kinds = {
      "api",    "access",   "secret", "private", "signing", "sign",   "encryption", "enc",
      "master", "client",   "app",    "auth",    "account", "license", "subscription", "routing",
      "webhook", "session", "crypto", "hmac",    "ssh",     "gpg",    "pgp",        "shared"};
  const bool env_style = std::none_of(key.begin(), key.end(), is_lower);
  for (std::size_t i = 0; i < seg.size(); ++i) {
    if (seg[i] != "key" && seg[i] != "keys") continue;
    if (env_style) return true;
    if (i > 0 && one_of(seg[i - 1], key_kinds)) return true;
  }
  return false;
}

bool high_entropy_token(std::string_view token) {
  int n = 0, transitions = 0, lower = 0, upper = 0, digit = 0;
  int prev_class = -1;
  for (char c : token) {
    int cls = is_lower(c) ? 0 : is_upper(c) ? 1 : is_digit(c) ? 2 : -1;
    if (cls < 0) continue;
    ++n;
    lower += cls == 0;
    upper += cls == 1;
    digit += cls == 2;
    if (prev_class >= 0 && cls != prev_class) ++transitions;
    prev_class = cls;
  }
  const int classes = (lower > 0) + (upper > 0) + (digit > 0);
  return n >= 16 && classes >= 2 && transitions * 4 >= n;
}

Redactor::Redactor(std::vector<Rule> rules) : rules_(std::move(rules)) {}
Redactor::~Redactor() = default;

std::shared_ptr<const Redactor> Redactor::builtin() {
  static const std::shared_ptr<const Redactor> r = std::move(create(RedactConfig{})).value();
  return r;
}

Result<std::unique_ptr<Redactor>> Redactor::create(const RedactConfig& cfg) {
  std::vector<Rule> rules;
  RE2::Options opts;
  opts.set_log_errors(false);
  using Check = bool (*)(std::string_view, std::string_view);
  auto add = [&](std::string kind, const std::string& pattern, int group = 0, int key_group = 0,
                 Check check = nullptr) -> Result<void> {
    auto re = std::make_unique<RE2>(pattern, opts);
    if (!re->ok()) return make_error(ErrorCode::config, "redact pattern " + kind + ": " + re->error());
    rules.push_back(Rule{std::move(kind), std::move(re), group, key_group, check});
    return {};
  };
  // Order matters: whole blocks and structured tokens before the generic key=value rule, so a
  // JWT after "token=" is reported as a JWT and nothing is half-replaced; key=value pairs before
  // the "random token next to a key word" rule, which is the widest.
  struct Builtin {
    const char* kind;
    const char* pattern;
    int group;
    int key_group;
    Check check;
  };
  static const Builtin builtins[] = {
      {"private_key",
       R"((?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|$))", 0,
       0, nullptr},
      {"jwt", R"(\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,})", 0, 0, nullptr},
      {"aws_access_key", R"(\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[0-9A-Z]{16}\b)", 0, 0, nullptr},
      {"aws_secret_key",
       R"((?i)(aws_?secret_?(?:access_?)?key|secretaccesskey)(?:["']?\s*[:=]\s*["']?)([A-Za-z0-9/+=]{40}))", 2, 0,
       nullptr},
      {"github_token", R"(\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,255}\b)", 0, 0, nullptr},
      {"github_token", R"(\bgithub_pat_[A-Za-z0-9_]{22,255})", 0, 0, nullptr},
      {"slack_token", R"(\bxox[abposre]-[A-Za-z0-9-]{8,})", 0, 0, nullptr},
      {"slack_webhook", R"(https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+)", 0, 0, nullptr},
      {"api_key", R"(\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,})", 0, 0, nullptr},
      // The credential ends where the token does ("Bearer expires_in=3600" is a key=value pair).
      {"bearer", R"((?i)\b(bearer|basic)\s+([A-Za-z0-9._~+/-]{8,}=*)(?:$|[^A-Za-z0-9._~+/=-]))", 2, 0, nullptr},
      {"url_credentials", R"((?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@)", 1, 0, nullptr},
      // Cookie headers and logged cookies: every name=value pair after the word (a; b; c).
      {"cookie",
       R"((?i)\b(?:set-)?cookies?\b["']?\s*[:=]?\s*["']?([A-Za-z0-9_.$-]{1,64}=[^\s;,"']*(?:;\s*[A-Za-z0-9_.$-]{1,64}=[^\s;,"']*)*))",
       1, 0, nullptr},
      // key=value, key: value, "key": "value", key="quoted value" where the key names a secret
      // (secret_key_name): PGPASSWORD=, DB_PASSWORD=, client_secret:, x-api-key:, STRIPE_KEY=, sid=,
      // and command-line flags (--password=...).
      {"secret_value",
       R"re((?:^|[^A-Za-z0-9_.])([A-Za-z][A-Za-z0-9_.-]{0,63})(["']?\s*[:=]\s*)(?:"([^"\n]{1,256})"|'([^'\n]{1,256})'|([^\s"'&,;}\]]+)))re",
       3, 1, &secret_pair},
      // A random-looking token right after a key word, with at most two short words between them:
      // "aws secret wJalr...", "session id 9f86d0...", "api key is AbC1...".
      {"secret_value",
       R"((?i)(?:^|[^A-Za-z0-9])(?:secret|token|passw(?:or)?d|passphrase|credentials?|key|session|sid|cookie|signature|pwd)s?(?:[\s:="'(),\[\]]{1,3}[A-Za-z]{1,12}){0,2}[\s:="'(),\[\]]{1,3}([A-Za-z0-9/+_=.-]{16,512}))",
       1, 0, &random_token},
      {"aws_secret_key", R"((?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=]))", 1, 0, &aws_secret_shape},
      {"email", R"(\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b)", 0, 0, nullptr},
      {"credit_card", R"(\b[2-6](?:[ -]?\d){12,18}\b)", 0, 0, &luhn_check},
      {"ipv4", R"(\b(?:\d{1,3}\.){3}\d{1,3}\b)", 0, 0, &ipv4_valid},
      {"ipv6", R"((?i)(?:^|[^0-9a-z_:.])((?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%[0-9a-z]+)?))", 1, 0, &ipv6_valid},
  };
  for (const auto& b : builtins) {
    std::string kind = b.kind;
    if (!cfg.emails && kind == "email") continue;
    if (!cfg.ips && (kind == "ipv4" || kind == "ipv6")) continue;
    if (auto r = add(kind, b.pattern, b.group, b.key_group, b.check); !r) return r.error();
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
      re2::StringPiece secret = whole;
      if (rule.secret_group > 0) {  // the first alternative that matched
        secret = {};
        for (int g = rule.secret_group; g <= ngroups && secret.empty(); ++g) secret = groups[static_cast<std::size_t>(g)];
      }
      std::string_view sv(secret.data() ? secret.data() : "", secret.size());
      std::string_view key;
      if (rule.key_group > 0 && rule.key_group <= ngroups && groups[static_cast<std::size_t>(rule.key_group)].data())
        key = std::string_view(groups[static_cast<std::size_t>(rule.key_group)].data(),
                               groups[static_cast<std::size_t>(rule.key_group)].size());
      const bool already = sv.rfind("[REDACTED:", 0) == 0;
      if (!sv.empty() && !already && (!rule.check || rule.check(sv, key))) {
        const std::size_t sstart = static_cast<std::size_t>(secret.data() - cur.data());
        out.append(cur, pos, sstart - pos);
        out += "[REDACTED:" + rule.kind + "]";
        pos = sstart + secret.size();
        ++counts[rule.kind];
        changed = true;
        scan = mend > scan ? mend : scan + 1;
      } else {
        // Not a secret: look again from the next character, so a secret inside this candidate
        // (url=http://x?token=...) or right after it is still found.
        scan = mstart + 1 > scan ? mstart + 1 : scan + 1;
      }
    }
    if (changed) {
      out.append(cur, pos, std::string::npos);
      cur = std::move(out);
    }
  }
  return cur;
}

}  // namespace selfheal
