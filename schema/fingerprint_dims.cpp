#include "schema/fingerprint_dims.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "schema/write_batch.hpp"

namespace selfheal {
namespace {
constexpr char kMagic = 'D';
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kMaxString = 1 << 20;  // sanity bound while decoding

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}
void put_names(std::string& out, const NameCounts& m) {
  put_varint(out, m.size());
  for (const auto& [n, c] : m) {
    put_string(out, n);
    put_varint(out, static_cast<std::uint64_t>(std::max<std::int64_t>(c, 0)));
  }
}

struct Reader {
  std::string_view in;
  std::size_t at = 0;
  bool ok = true;

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at >= in.size()) break;
      const auto b = static_cast<std::uint8_t>(in[at++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  std::string_view bytes(std::size_t n) {
    if (!ok || n > kMaxString || n > in.size() - at) {
      ok = false;
      return {};
    }
    auto s = in.substr(at, n);
    at += n;
    return s;
  }
  std::string_view string() { return bytes(static_cast<std::size_t>(varint())); }
  std::int64_t count() {
    const auto v = varint();
    if (v > (std::uint64_t{1} << 62)) ok = false;  // headroom: adding two counts never overflows
    return static_cast<std::int64_t>(v);
  }
  bool names(NameCounts& m) {
    const auto n = varint();
    if (n > (in.size() - at) / 2) ok = false;  // every entry takes at least two bytes
    if (ok) m.reserve(static_cast<std::size_t>(n));
    for (std::uint64_t i = 0; ok && i < n; ++i) {
      auto name = string();
      const auto c = count();
      if (ok) m.emplace_back(std::string(name), c);
    }
    return ok;
  }
};

std::optional<FingerprintDims> decode_binary(std::string_view blob) {
  Reader r{blob, 2};
  FingerprintDims d;
  if (!r.names(d.services) || !r.names(d.hosts)) return std::nullopt;
  const auto n_pos = r.varint();
  for (std::uint64_t i = 0; r.ok && i < n_pos; ++i) {
    const auto pos = r.varint();
    const auto flags = r.varint();
    auto hll = r.bytes(64);
    if (!r.ok || pos >= FingerprintDims::max_positions) return std::nullopt;
    if (d.positions.size() <= pos) d.positions.resize(static_cast<std::size_t>(pos) + 1);
    auto& p = d.positions[static_cast<std::size_t>(pos)];
    p.evicted = flags & 1;
    std::copy(hll.begin(), hll.end(), p.hll.begin());
    if (!r.names(p.values)) return std::nullopt;
  }
  if (!r.ok || r.at != blob.size()) return std::nullopt;
  return d;
}

std::optional<FingerprintDims> decode_legacy_json(std::string_view blob) {
  auto j = nlohmann::json::parse(blob, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  FingerprintDims d;
  auto position = [&](int pos) -> PositionDims* {
    if (pos < 0 || static_cast<std::size_t>(pos) >= FingerprintDims::max_positions) return nullptr;
    if (d.positions.size() <= static_cast<std::size_t>(pos)) d.positions.resize(static_cast<std::size_t>(pos) + 1);
    return &d.positions[static_cast<std::size_t>(pos)];
  };
  // Only integers in range are taken (get<int>() on a float or a huge number is undefined).
  auto integer = [](const nlohmann::json& v, std::int64_t lo, std::int64_t hi) -> std::int64_t {
    if (!v.is_number_integer()) throw std::invalid_argument("not an integer");
    const auto x = v.is_number_unsigned() ? (v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi) ? hi + 1 : static_cast<std::int64_t>(v.get<std::uint64_t>()))
                                          : v.get<std::int64_t>();
    if (x < lo || x > hi) throw std::out_of_range("integer out of range");
    return x;
  };
  constexpr std::int64_t max_count = std::int64_t{1} << 62;
  try {
    auto names = [&](const char* key, NameCounts& into) {
      if (!j.contains(key) || !j[key].is_array()) return;
      for (const auto& e : j[key]) into.emplace_back(e.at(0).get<std::string>(), integer(e.at(1), 0, max_count));
    };
    names("s", d.services);
    names("h", d.hosts);
    if (j.contains("v") && j["v"].is_array())
      for (const auto& e : j["v"])
        if (auto* p = position(static_cast<int>(integer(e.at(0), 0, static_cast<std::int64_t>(FingerprintDims::max_positions) - 1))))
          p->values.emplace_back(e.at(1).get<std::string>(), integer(e.at(2), 0, max_count));
    if (j.contains("x") && j["x"].is_array())
      for (const auto& e : j["x"]) {
        const auto hex = e.at(1).get<std::string>();
        auto* p = position(static_cast<int>(integer(e.at(0), 0, static_cast<std::int64_t>(FingerprintDims::max_positions) - 1)));
        if (!p) continue;
        for (std::size_t i = 0; i < 64 && 2 * i + 1 < hex.size(); ++i)
          p->hll[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
      }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  // The per-row tables kept at most 64 values and wrote only a batch's top 8 per commit: a position
  // may have lost values even below 64. Trust the stored set only when the HLL agrees with it.
  for (auto& p : d.positions) {
    const auto stored = static_cast<double>(p.values.size());
    p.evicted = p.values.size() >= 64 || hll_estimate(p.hll) > stored + std::max(2.0, 0.2 * stored);
  }
  return d;
}

// Adds a batch tally into stored name counts (linear: both sides hold at most a few dozen names).
void merge_names(NameCounts& stored, const Tally& batch, std::size_t cap, std::vector<std::string>* fresh) {
  std::vector<std::uint64_t> hashes;
  hashes.reserve(stored.size() + batch.entries.size());
  for (const auto& [n, c] : stored) hashes.push_back(stable_hash(n));
  auto find = [&](const std::string& name, std::uint64_t h) -> std::int64_t* {
    for (std::size_t i = 0; i < hashes.size(); ++i)
      if (hashes[i] == h && stored[i].first == name) return &stored[i].second;
    return nullptr;
  };
  static const std::string other = "(other)";
  static const std::uint64_t other_hash = stable_hash(other);
  for (std::size_t k = 0; k < batch.entries.size(); ++k) {
    const auto& [name, c] = batch.entries[k];
    if (auto* n = find(name, batch.hashes[k])) {
      *n += c;
    } else if (stored.size() < cap || name == other) {
      stored.emplace_back(name, c);
      hashes.push_back(batch.hashes[k]);
      if (fresh && name != other) fresh->push_back(name);
    } else {
      if (auto* o = find(other, other_hash)) {
        *o += c;
      } else {
        stored.emplace_back(other, c);
        hashes.push_back(other_hash);
      }
      // Past the cap the count goes to "(other)", but membership must still be recorded.
      if (fresh) fresh->push_back(name);
    }
  }
  if (fresh)
    for (const auto& name : batch.folded) fresh->push_back(name);
}
}  // namespace

std::string FingerprintDims::encode() const {
  std::string out;
  out.reserve(64 + positions.size() * 80);
  out.push_back(kMagic);
  out.push_back(static_cast<char>(kVersion));
  put_names(out, services);
  put_names(out, hosts);
  auto used = [](const PositionDims& p) {
    return !p.values.empty() || std::any_of(p.hll.begin(), p.hll.end(), [](std::uint8_t r) { return r != 0; });
  };
  put_varint(out, static_cast<std::uint64_t>(std::count_if(positions.begin(), positions.end(), used)));
  for (std::size_t pos = 0; pos < positions.size(); ++pos) {
    const auto& p = positions[pos];
    if (!used(p)) continue;
    put_varint(out, pos);
    put_varint(out, p.evicted ? 1 : 0);
    out.append(reinterpret_cast<const char*>(p.hll.data()), p.hll.size());
    put_names(out, p.values);
  }
  return out;
}

std::optional<FingerprintDims> FingerprintDims::decode(std::string_view blob) {
  if (blob.size() >= 2 && blob[0] == kMagic && static_cast<std::uint8_t>(blob[1]) == kVersion)
    return decode_binary(blob);
  if (!blob.empty() && blob[0] == '{') return decode_legacy_json(blob);
  return std::nullopt;
}

std::vector<std::string> FingerprintDims::add(const FingerprintDelta& d, std::size_t max_names, std::size_t max_values) {
  std::vector<std::string> fresh;
  merge_names(services, d.services, max_names, &fresh);
  merge_names(hosts, d.hosts, max_names, nullptr);
  const std::size_t n_pos = std::min(d.positions.size(), max_positions);
  if (positions.size() < n_pos) positions.resize(n_pos);
  std::vector<std::uint64_t> hashes;
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < n_pos; ++i) {
    const auto& batch = d.positions[i];
    auto& p = positions[i];
    hll_merge(p.hll, batch.hll);
    if (batch.values.overflow) p.evicted = true;
    const auto& bv = batch.values.entries;
    hashes.clear();
    for (const auto& [v, c] : p.values) hashes.push_back(stable_hash(v));
    // Larger batch counts first, so a heavy newcomer replaces a minimum before the batch's tail does.
    order.resize(bv.size());
    for (std::size_t k = 0; k < bv.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return bv[a].second > bv[b].second || (bv[a].second == bv[b].second && bv[a].first < bv[b].first);
    });
    for (std::size_t k : order) {
      const auto& [v, c] = bv[k];
      const std::uint64_t h = batch.values.hashes[k];
      std::size_t at = hashes.size();
      for (std::size_t s = 0; s < hashes.size(); ++s)
        if (hashes[s] == h && p.values[s].first == v) {
          at = s;
          break;
        }
      if (at < hashes.size()) {
        p.values[at].second += c;
      } else if (p.values.size() < max_values) {
        p.values.emplace_back(v, c);
        hashes.push_back(h);
      } else if (p.values.empty()) {
        p.evicted = true;  // max_values == 0: nothing is kept
      } else {
        std::size_t min = 0;
        for (std::size_t s = 1; s < p.values.size(); ++s)
          if (p.values[s].second < p.values[min].second) min = s;
        p.values[min] = {v, p.values[min].second + c};
        hashes[min] = h;
        p.evicted = true;
      }
    }
  }
  return fresh;
}

std::int64_t FingerprintDims::distinct(int position) const {
  if (position < 0 || static_cast<std::size_t>(position) >= positions.size()) return 0;
  const auto& p = positions[static_cast<std::size_t>(position)];
  const auto stored = static_cast<std::int64_t>(p.values.size());
  if (!p.evicted) return stored;
  return std::max<std::int64_t>(stored, std::llround(hll_estimate(p.hll)));
}

NameCounts top_counts(const NameCounts& m, std::size_t limit) {
  NameCounts out(m.begin(), m.end());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.second > b.second || (a.second == b.second && a.first < b.first); });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace selfheal
