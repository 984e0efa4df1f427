#include <cctype>

#include "schema/log.hpp"

#include "schema/detail/commit_rules.hpp"

namespace selfheal::detail {

namespace {
bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}
}  // namespace

std::optional<ListCursor> parse_list_cursor(const std::string& c) {
  auto d1 = c.find('.');
  auto d2 = c.find('.', d1 == std::string::npos ? 0 : d1 + 1);
  if (d1 != 1 || d2 == std::string::npos) return std::nullopt;
  ListCursor out{c[0], 0, c.substr(d2 + 1)};
  if (out.sort != 'c' && out.sort != 'l' && out.sort != 'r') return std::nullopt;
  const std::string key = c.substr(2, d2 - 2);
  if (key.empty() || key.size() > 19) return std::nullopt;
  std::size_t i = key[0] == '-' ? 1 : 0;
  if (i == key.size()) return std::nullopt;
  for (; i < key.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(key[i]))) return std::nullopt;
  out.key = std::stoll(key);
  if (!valid_id(out.id)) return std::nullopt;
  return out;
}

void finish_commit(Result<CommitReceipt>& r, std::chrono::steady_clock::time_point started) {
  if (!r) return;
  r->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (r->dims_reset > 0)
    spdlog::warn("Unreadable fingerprint_dims rows were started afresh (services/hosts/values of those fingerprints "
                 "restart from zero). rows={}",
                 r->dims_reset);
}

void add_name_counts(NameCounts& into, const NameCounts& from) {
  for (const auto& [n, c] : from) {
    // A named copy: clang 14 (the fuzz build) cannot capture a structured binding.
    auto it = std::find_if(into.begin(), into.end(), [&name = n](const auto& e) { return e.first == name; });
    if (it != into.end())
      it->second += c;
    else
      into.emplace_back(n, c);
  }
}

void fill_names(FingerprintSummary& s, const FingerprintDims& dims, std::size_t limit) {
  for (auto& [n, c] : top_counts(dims.services, limit)) s.services.push_back({n, c});
  for (auto& [n, c] : top_counts(dims.hosts, limit)) s.hosts.push_back({n, c});
}

char list_sort_code(FingerprintSort s) {
  return s == FingerprintSort::count ? 'c' : s == FingerprintSort::last_seen ? 'l' : 'r';
}

std::string list_cursor_after(const FingerprintQuery& q, const FingerprintRow& last) {
  const std::int64_t key = q.sort == FingerprintSort::count       ? -last.total
                           : q.sort == FingerprintSort::last_seen ? -last.summary.last_seen
                                                                  : -last.recent;
  return std::string(1, list_sort_code(q.sort)) + "." + std::to_string(key) + "." + last.summary.id;
}

}  // namespace selfheal::detail
