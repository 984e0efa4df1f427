#include "schema/write_batch.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace selfheal {
namespace {
void bump(std::map<std::string, std::int64_t>& m, const std::string& key, std::int64_t n, std::size_t cap) {
  auto it = m.find(key);
  if (it != m.end()) {
    it->second += n;
  } else if (m.size() < cap) {
    m.emplace(key, n);
  } else {
    m["(other)"] += n;  // bounded: everything past the cap is folded into one bucket
  }
}
std::string clip(std::string_view s, std::size_t n) { return std::string(s.substr(0, n)); }
}  // namespace

namespace {
// FNV-1a then a splitmix64 finaliser: stable across processes and restarts (estimates are persisted).
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
}  // namespace

void hll_add(std::array<std::uint8_t, 64>& regs, std::string_view value) {
  const std::uint64_t h = stable_hash(value);
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
  d.minutes[minute_of(e.ts)] += 1;
  bump(d.services, e.service, 1, max_services_per_fp);
  if (!e.host.empty()) bump(d.hosts, e.host, 1, max_services_per_fp);
  for (std::size_t i = 0; i < fp.values.size() && i < max_value_positions; ++i) {
    const std::string_view v = std::string_view(fp.values[i]).substr(0, 128);
    hll_add(d.hll[static_cast<int>(i)], v);
    auto& pos = d.values[static_cast<int>(i)];
    auto vit = pos.find(v);
    if (vit != pos.end()) {
      vit->second += 1;
    } else if (pos.size() < max_values_per_position) {
      pos.emplace(std::string(v), 1);
    }
  }
  // Samples: the first few of the batch in order, and a last slot holding a recent one. Building a
  // sample copies the message and renders labels, so the recent slot is refreshed at most once a second.
  ++d.reservoir_seen;
  if (d.samples.size() < max_samples_per_fp) {
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
    for (auto& [k, c] : od.services) bump(d.services, k, c, max_services_per_fp);
    for (auto& [k, c] : od.hosts) bump(d.hosts, k, c, max_services_per_fp);
    for (auto& [pos, m] : od.values) {
      auto& into = d.values[pos];
      for (auto& [v, c] : m)
        if (auto it = into.find(v); it != into.end()) it->second += c;
        else if (into.size() < max_values_per_position) into.emplace(v, c);
    }
    for (auto& s : od.samples)
      if (d.samples.size() < max_samples_per_fp) d.samples.push_back(std::move(s));
    d.reservoir_seen += od.reservoir_seen;
    for (auto& [pos, regs] : od.hll) hll_merge(d.hll[pos], regs);
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
