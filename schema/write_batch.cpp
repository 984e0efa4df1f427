#include "schema/write_batch.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace selfheal {
namespace {
std::string clip(std::string_view s, std::size_t n) { return std::string(s.substr(0, n)); }
}  // namespace

std::uint64_t stable_hash(std::string_view v) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : v) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

std::int64_t* Tally::find(std::string_view name, std::uint64_t hash) {
  for (std::size_t i = 0; i < hashes.size(); ++i)
    if (hashes[i] == hash && entries[i].first == name) return &entries[i].second;
  return nullptr;
}

void Tally::add_name(std::string_view name, std::uint64_t hash, std::int64_t n, std::size_t cap) {
  static const std::string other = "(other)";
  static const std::uint64_t other_hash = stable_hash(other);
  if (auto* c = find(name, hash)) {
    *c += n;
    return;
  }
  if (entries.size() < cap || name == other) {
    hashes.push_back(hash);
    entries.emplace_back(std::string(name), n);
    return;
  }
  overflow = true;
  if (auto* o = find(other, other_hash)) {
    *o += n;
  } else {
    hashes.push_back(other_hash);
    entries.emplace_back(other, n);
  }
  add_folded(name, hash);
}

void Tally::add_folded(std::string_view name, std::uint64_t hash) {
  if (find(name, hash)) return;
  for (std::size_t i = 0; i < folded_hashes.size(); ++i)
    if (folded_hashes[i] == hash && folded[i] == name) return;
  if (folded.size() < max_folded) {
    folded_hashes.push_back(hash);
    folded.emplace_back(name);
  }
}

void Tally::add_value(std::string_view value, std::uint64_t hash, std::int64_t n, std::size_t cap) {
  if (auto* c = find(value, hash)) {
    *c += n;
    return;
  }
  if (entries.size() < cap) {
    hashes.push_back(hash);
    entries.emplace_back(std::string(value), n);
    return;
  }
  if (entries.empty()) return;  // cap 0
  overflow = true;
  std::size_t min = 0;
  for (std::size_t i = 1; i < entries.size(); ++i)
    if (entries[i].second < entries[min].second) min = i;
  entries[min].first.assign(value);
  entries[min].second += n;
  hashes[min] = hash;
}

void hll_add(std::array<std::uint8_t, 64>& regs, std::string_view value) { hll_add_hash(regs, stable_hash(value)); }

void hll_add_hash(std::array<std::uint8_t, 64>& regs, std::uint64_t h) {
  const std::size_t idx = h >> 58;       // top 6 bits pick the register
  const std::uint64_t rest = h << 6;     // remaining 58 bits
  std::uint8_t rank = rest == 0 ? 59 : static_cast<std::uint8_t>(__builtin_clzll(rest) + 1);
  if (rank > regs[idx]) regs[idx] = rank;
}

void hll_merge(std::array<std::uint8_t, 64>& into, const std::array<std::uint8_t, 64>& from) {
  for (std::size_t i = 0; i < 64; ++i) into[i] = std::max(into[i], from[i]);
}

double hll_estimate(const std::array<std::uint8_t, 64>& regs) {
  const double m = 64.0;
  double sum = 0;
  int zeros = 0;
  for (auto r : regs) {
    sum += std::ldexp(1.0, -static_cast<int>(r));
    zeros += r == 0;
  }
  const double alpha = 0.709;
  double e = alpha * m * m / sum;
  if (e <= 2.5 * m && zeros > 0) e = m * std::log(m / zeros);  // small-range correction
  return e;
}

std::string labels_to_json(const Labels& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void WriteBatch::count(const LogEvent& e, bool kept) {
  if (!last_count_ || e.source != last_source_ || e.service != last_service_) {
    last_source_ = e.source;
    last_service_ = e.service;
    last_count_ = &counts_[{e.source, e.service}];  // std::map nodes are stable
  }
  auto& c = *last_count_;
  c.lines += e.lines;
  c.events += 1;
  if (kept) c.kept += 1;
}

namespace {
// Newest scope last, so consecutive events of one service hit the first comparison.
void add_scope(std::vector<Scope>& scopes, const std::string& service, const std::string& host, std::int64_t n) {
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    if (it->service == service && it->host == host) {
      it->count += n;
      return;
    }
  }
  if (scopes.size() < WriteBatch::max_scopes_per_fp) scopes.push_back(Scope{service, host, n});
}
}  // namespace

void WriteBatch::add(const LogEvent& e, const FingerprintInfo& fp, Severity sev) {
  ++events_;
  auto [it, inserted] = fps_.try_emplace(fp.id);
  auto& d = it->second;
  if (inserted) {
    d.info = fp;
    d.info.values.clear();
    d.first = e.ts;
    d.last = e.ts;
    d.max_level = sev;
  }
  d.count += 1;
  d.first = std::min(d.first, e.ts);
  d.last = std::max(d.last, e.ts);
  if (static_cast<int>(sev) > static_cast<int>(d.max_level)) d.max_level = sev;
  if (const UnixMs m = minute_of(e.ts); m != d.last_minute || !d.last_minute_count) {
    d.last_minute = m;
    d.last_minute_count = &d.minutes[m];  // std::map nodes are stable
  }
  *d.last_minute_count += 1;
  d.services.add_name(e.service, stable_hash(e.service), 1, max_services_per_fp);
  if (!e.host.empty()) d.hosts.add_name(e.host, stable_hash(e.host), 1, max_services_per_fp);
  add_scope(d.scopes, e.service, e.host, 1);
  const std::size_t n_pos = std::min(fp.values.size(), max_value_positions);
  if (d.positions.size() < n_pos) d.positions.resize(n_pos);
  for (std::size_t i = 0; i < n_pos; ++i) {
    const std::string_view v = std::string_view(fp.values[i]).substr(0, 128);
    const std::uint64_t h = stable_hash(v);
    auto& pos = d.positions[i];
    hll_add_hash(pos.hll, h);
    pos.values.add_value(v, h, 1, max_values_per_position);
  }
  // Samples: the first few of the batch in order, and a last slot holding a recent one. Building a
  // sample copies the message and renders labels, so the recent slot is refreshed at most once a second.
  ++d.reservoir_seen;
  if (d.samples.size() < max_samples_per_fp) {
    if (d.samples.empty()) d.samples.reserve(max_samples_per_fp);
    d.samples.push_back(Sample{e.ts, clip(e.message, max_sample_bytes), e.service, e.host, labels_to_json(e.labels)});
    d.recent_sample_ts = e.ts;
  } else if (e.ts >= d.recent_sample_ts + 1000) {
    auto& s = d.samples.back();
    s.ts = e.ts;
    s.message.assign(e.message, 0, std::min(e.message.size(), max_sample_bytes));
    s.service = e.service;
    s.host = e.host;
    s.labels_json = labels_to_json(e.labels);
    d.recent_sample_ts = e.ts;
  }
}

void WriteBatch::set_position(SourcePosition p) { positions_[{p.source, p.key}] = std::move(p.value); }

void WriteBatch::add_dead_letter(DeadLetter d) { dead_letters_.push_back(std::move(d)); }

void WriteBatch::absorb(WriteBatch&& other) {
  last_count_ = nullptr;
  for (auto& [id, od] : other.fps_) {
    auto [it, inserted] = fps_.try_emplace(id);
    if (inserted) {
      it->second = std::move(od);
      continue;
    }
    auto& d = it->second;
    d.count += od.count;
    d.first = std::min(d.first, od.first);
    d.last = std::max(d.last, od.last);
    if (static_cast<int>(od.max_level) > static_cast<int>(d.max_level)) d.max_level = od.max_level;
    for (auto& [m, c] : od.minutes) d.minutes[m] += c;
    d.last_minute_count = nullptr;
    auto merge_names = [](Tally& into, const Tally& from) {
      for (std::size_t i = 0; i < from.entries.size(); ++i)
        into.add_name(from.entries[i].first, from.hashes[i], from.entries[i].second, max_services_per_fp);
      for (std::size_t i = 0; i < from.folded.size(); ++i) into.add_folded(from.folded[i], from.folded_hashes[i]);
      into.overflow = into.overflow || from.overflow;
    };
    merge_names(d.services, od.services);
    merge_names(d.hosts, od.hosts);
    for (const auto& sc : od.scopes) add_scope(d.scopes, sc.service, sc.host, sc.count);
    if (d.positions.size() < od.positions.size()) d.positions.resize(od.positions.size());
    for (std::size_t p = 0; p < od.positions.size(); ++p) {
      const auto& from = od.positions[p].values;
      auto& into = d.positions[p].values;
      for (std::size_t i = 0; i < from.entries.size(); ++i)
        into.add_value(from.entries[i].first, from.hashes[i], from.entries[i].second, max_values_per_position);
      into.overflow = into.overflow || from.overflow;
      hll_merge(d.positions[p].hll, od.positions[p].hll);
    }
    for (auto& s : od.samples)
      if (d.samples.size() < max_samples_per_fp) d.samples.push_back(std::move(s));
    d.reservoir_seen += od.reservoir_seen;
  }
  for (auto& [k, c] : other.counts_) {
    auto& t = counts_[k];
    t.lines += c.lines;
    t.events += c.events;
    t.kept += c.kept;
  }
  for (auto& [k, v] : other.positions_) positions_.try_emplace(k, std::move(v));  // ours are newer
  for (auto& dl : other.dead_letters_) dead_letters_.push_back(std::move(dl));
  events_ += other.events_;
  other = WriteBatch{};
  last_count_ = nullptr;
}

}  // namespace selfheal
