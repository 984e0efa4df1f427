#include "ingest/kafka_commit.hpp"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace selfheal::ingest::kafka {

std::string position_key(const TopicPartition& tp) { return tp.topic + ":" + std::to_string(tp.partition); }

std::optional<TopicPartition> parse_position_key(std::string_view key) {
  const auto colon = key.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == key.size()) return std::nullopt;
  std::int32_t p = 0;
  const auto digits = key.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
  if (ec != std::errc{} || end != digits.data() + digits.size() || p < 0) return std::nullopt;
  return TopicPartition{std::string(key.substr(0, colon)), p};
}

std::uint64_t stream_id(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

std::int64_t PartitionPosition::seek_offset() const {
  std::int64_t s = next_offset;
  for (const auto& [stream, off] : pending) s = std::min(s, off);
  return s;
}

std::string encode_position(const PartitionPosition& p) {
  std::string out = std::to_string(p.next_offset);
  char sep = ';';
  for (const auto& [stream, off] : p.pending) {
    char hex[17];
    auto [end, ec] = std::to_chars(hex, hex + sizeof hex, stream, 16);
    (void)ec;
    out += sep;
    out.append(hex, end);
    out += '@';
    out += std::to_string(off);
    sep = ',';
  }
  return out;
}

namespace {

template <typename T>
bool parse_int(std::string_view s, T& out, int base = 10) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc{} && end == s.data() + s.size();
}

}  // namespace

std::optional<PartitionPosition> decode_position(std::string_view s) {
  PartitionPosition p;
  const auto semi = s.find(';');
  if (!parse_int(s.substr(0, semi), p.next_offset) || p.next_offset < 0) return std::nullopt;
  if (semi == std::string_view::npos) return p;
  std::string_view rest = s.substr(semi + 1);
  if (rest.empty()) return std::nullopt;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (comma != std::string_view::npos && rest.empty()) return std::nullopt;  // trailing comma
    const auto at = item.find('@');
    if (at == std::string_view::npos) return std::nullopt;
    std::uint64_t stream = 0;
    std::int64_t off = 0;
    if (!parse_int(item.substr(0, at), stream, 16) || !parse_int(item.substr(at + 1), off)) return std::nullopt;
    if (off < 0 || off >= p.next_offset) return std::nullopt;
    if (!p.pending.emplace(stream, off).second) return std::nullopt;  // duplicate stream
  }
  return p;
}

std::string_view to_string(Admission a) {
  switch (a) {
    case Admission::accept: return "accept";
    case Admission::skip_counted: return "skip_counted";
    case Admission::reject_revoked: return "reject_revoked";
    case Admission::reject_stale: return "reject_stale";
  }
  return "reject_stale";
}

Admission admit(PartitionState* st, std::uint64_t stream, std::int64_t offset) {
  if (st == nullptr) return Admission::reject_revoked;
  if (st->expected >= 0 && offset < st->expected) return Admission::reject_stale;
  st->expected = offset + 1;
  if (offset < st->resume.next_offset) {
    // Replay zone: only lines of streams that were pending at or after their pending offset are new.
    const auto it = st->resume.pending.find(stream);
    if (it == st->resume.pending.end() || offset < it->second) return Admission::skip_counted;
  }
  return Admission::accept;
}

PartitionPosition position_to_store(std::int64_t consumed_next,
                                    const std::map<std::uint64_t, std::int64_t>& live_pending,
                                    const PartitionPosition& resume) {
  PartitionPosition out;
  out.next_offset = std::max(consumed_next, resume.next_offset);
  for (const auto& [stream, off] : live_pending) {
    if (off < out.next_offset) out.pending[stream] = off;
  }
  if (consumed_next < resume.next_offset) {
    // The replay zone is not fully re-read: a stream pending at the restart still has unemitted lines
    // in [max(consumed_next, its pending offset), resume.next_offset).
    for (const auto& [stream, off] : resume.pending) {
      const std::int64_t from = std::max(consumed_next, off);
      auto [it, inserted] = out.pending.emplace(stream, from);
      if (!inserted) it->second = std::min(it->second, from);
    }
  }
  return out;
}

StartDecision decide_start(const std::optional<PartitionPosition>& stored, std::optional<std::int64_t> committed) {
  StartDecision d;
  if (!stored) return d;
  if (committed && *committed > stored->seek_offset()) {
    d.seek = *committed;
    d.stale_store = true;
    return d;
  }
  d.seek = stored->seek_offset();
  d.resume = *stored;
  return d;
}

RevokeDecision decide_revoke(RebalanceProtocol protocol, const std::set<TopicPartition>& assigned,
                             const std::vector<TopicPartition>& listed, bool assignment_lost) {
  RevokeDecision d;
  if (protocol == RebalanceProtocol::eager) {
    d.revoked.assign(assigned.begin(), assigned.end());
  } else {
    for (const auto& tp : listed) {
      if (assigned.count(tp) != 0) d.revoked.push_back(tp);
    }
    std::sort(d.revoked.begin(), d.revoked.end());
    d.revoked.erase(std::unique(d.revoked.begin(), d.revoked.end()), d.revoked.end());
  }
  d.wait_durable = !assignment_lost;
  d.commit_offsets = !assignment_lost;
  return d;
}

std::vector<std::pair<TopicPartition, std::int64_t>> offsets_to_commit(
    const std::map<TopicPartition, std::int64_t>& durable, const std::set<TopicPartition>& assigned,
    std::map<TopicPartition, std::int64_t>& last_committed) {
  std::vector<std::pair<TopicPartition, std::int64_t>> out;
  for (const auto& [tp, off] : durable) {
    if (assigned.count(tp) == 0) continue;
    auto it = last_committed.find(tp);
    if (it != last_committed.end() && it->second >= off) continue;
    last_committed[tp] = off;
    out.emplace_back(tp, off);
  }
  return out;
}

}  // namespace selfheal::ingest::kafka
