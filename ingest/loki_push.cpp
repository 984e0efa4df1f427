#include "ingest/loki_push.hpp"

#include <algorithm>
#include <deque>

#include "fingerprint/stitcher.hpp"
#include "ingest/event_fields.hpp"

namespace selfheal::ingest {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '+' || c == '_' ||
         c == '!' || c == '#' || c == '$' || c == '&' || c == '^' || c == '`' || c == '|' || c == '~' ||
         c == '*' || c == '\'' || c == '%';
}

// "type/subtype" lower-cased without parameters, or "" when not a media type (Go mime.ParseMediaType).
std::string media_type(std::string_view header) {
  auto semi = header.find(';');
  std::string t = lower(trim(header.substr(0, semi)));
  auto slash = t.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == t.size()) return {};
  for (std::size_t i = 0; i < t.size(); ++i)
    if (i != slash && !is_token_char(t[i])) return {};
  return t;
}

// Value of a "; name=value" parameter of a content type ("" if absent).
std::string_view param(std::string_view header, std::string_view name) {
  std::size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    ++pos;
    auto end = header.find(';', pos);
    auto kv = trim(header.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    auto eq = kv.find('=');
    if (eq != std::string_view::npos && trim(kv.substr(0, eq)) == name) return trim(kv.substr(eq + 1));
  }
  return {};
}

std::string_view strip_newline(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Labels merged_labels(const Labels& stream, const Labels& metadata) {
  if (metadata.empty()) return stream;
  Labels out = stream;
  for (const auto& kv : metadata) {
    bool clash = std::any_of(stream.begin(), stream.end(), [&](const auto& s) { return s.first == kv.first; }) ||
                 std::any_of(out.begin() + static_cast<std::ptrdiff_t>(stream.size()), out.end(),
                             [&](const auto& s) { return s.first == kv.first; });
    if (!clash && !kv.first.empty()) out.push_back(kv);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace

std::string_view to_string(PushReject r) {
  switch (r) {
    case PushReject::none: return "none";
    case PushReject::bad_content_type: return "bad_content_type";
    case PushReject::bad_encoding: return "bad_encoding";
    case PushReject::bad_compression: return "bad_compression";
    case PushReject::bad_protobuf: return "bad_protobuf";
    case PushReject::bad_json: return "bad_json";
    case PushReject::bad_labels: return "bad_labels";
    case PushReject::bad_tenant: return "bad_tenant";
    case PushReject::no_streams: return "no_streams";
    case PushReject::too_large: return "too_large";
  }
  return "none";
}

bool valid_tenant(std::string_view t) {
  if (t.empty() || t.size() > 150 || t == "." || t == "..") return false;
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '!' || c == '-' ||
           c == '_' || c == '.' || c == '*' || c == '\'' || c == '(' || c == ')';
  });
}

std::string dead_letter_content_type(std::string_view content_type, std::string_view content_encoding,
                                     detail::JsonShape shape) {
  std::string out(content_type.substr(0, 200));
  auto enc = lower(trim(content_encoding.substr(0, 40)));
  if (!enc.empty()) out += "; selfheal-encoding=" + enc;
  if (shape == detail::JsonShape::legacy) out += "; selfheal-shape=legacy";
  return out;
}

PushRequest replay_request(const DeadLetter& d) {
  PushRequest r;
  std::string_view ct = d.content_type;
  auto marker = ct.find("; selfheal-");
  r.content_type = ct.substr(0, marker);
  if (marker != std::string_view::npos) {
    auto tail = ct.substr(marker);
    r.content_encoding = param(tail, "selfheal-encoding");
    if (param(tail, "selfheal-shape") == "legacy") r.json_shape = detail::JsonShape::legacy;
  }
  r.body = d.payload;
  return r;
}

LokiPushHandler::LokiPushHandler(LokiPushOptions opts, const Clock& clock) : opts_(std::move(opts)), clock_(clock) {
  limits_.max_decompressed_bytes = static_cast<std::size_t>(std::max<std::int64_t>(opts_.config.max_decompressed_bytes, 0));
}

DeadLetter LokiPushHandler::dead_letter(std::string_view content_type, std::string_view content_encoding,
                                        std::string_view head, std::uint64_t size, std::string reason,
                                        detail::JsonShape shape) const {
  DeadLetter d;
  d.ts = clock_.now_ms();
  d.source = opts_.source;
  d.reason = std::move(reason);
  d.content_type = dead_letter_content_type(content_type, content_encoding, shape);
  d.payload.assign(head.substr(0, opts_.max_dead_letter_bytes));
  d.size = size;
  return d;
}

PushOutcome LokiPushHandler::reject(const PushRequest& req, int status, PushReject code, std::string reason) const {
  PushOutcome out;
  out.status = status;
  out.reject = code;
  out.reason = std::move(reason);
  out.batch.dead_letters.push_back(dead_letter(req.content_type, req.content_encoding, req.body, req.body.size(),
                                               std::string(to_string(code)) + ": " + out.reason, req.json_shape));
  return out;
}

PushOutcome LokiPushHandler::handle(const PushRequest& req) const {
  const auto max_body = static_cast<std::uint64_t>(std::max<std::int64_t>(opts_.config.max_body_bytes, 0));
  if (req.body.size() > max_body)
    return reject(req, 413, PushReject::too_large,
                  "body of " + std::to_string(req.body.size()) + " bytes exceeds the limit of " + std::to_string(max_body) + " bytes");
  if (!req.tenant.empty() && !valid_tenant(req.tenant))
    return reject(req, 400, PushReject::bad_tenant, "invalid X-Scope-OrgID tenant");

  const std::string type = media_type(req.content_type);
  if (type.empty())
    return reject(req, 400, PushReject::bad_content_type,
                  req.content_type.empty() ? "Content-Type header is required" : "invalid Content-Type");

  // Step 1: Content-Encoding.
  std::string inflated;
  std::string_view body = req.body;
  const std::string enc = lower(trim(req.content_encoding));
  if (enc == "gzip" || enc == "deflate") {
    auto r = detail::inflate_body(body, limits_.max_decompressed_bytes);
    if (!r) {
      return r.error().code == ErrorCode::too_large ? reject(req, 413, PushReject::too_large, r.error().message)
                                                    : reject(req, 400, PushReject::bad_compression, enc + ": " + r.error().message);
    }
    inflated = std::move(*r);
    body = inflated;
  } else if (!enc.empty() && enc != "snappy" && enc != "identity") {
    return reject(req, 400, PushReject::bad_encoding,
                  "Content-Encoding \"" + std::string(req.content_encoding.substr(0, 64)) + "\" not supported");
  }

  // Step 2: Content-Type.
  Result<detail::DecodedPush> decoded = detail::DecodedPush{};
  if (type == "application/json") {
    decoded = detail::decode_push_json(body, req.json_shape, limits_);
    if (!decoded) {
      const auto& m = decoded.error().message;
      bool labels = m.find("label") != std::string::npos || m.find("stream") != std::string::npos;
      return reject(req, 400, labels ? PushReject::bad_labels : PushReject::bad_json, m);
    }
  } else {
    auto raw = detail::snappy_block_decode(body, limits_.max_decompressed_bytes);
    if (!raw) {
      return raw.error().code == ErrorCode::too_large ? reject(req, 413, PushReject::too_large, raw.error().message)
                                                      : reject(req, 400, PushReject::bad_compression, raw.error().message);
    }
    decoded = detail::decode_push_protobuf(*raw, limits_);
    if (!decoded) {
      const auto& m = decoded.error().message;
      bool labels = m.rfind("error parsing labels", 0) == 0 || m == "stream without labels";
      return reject(req, 400, labels ? PushReject::bad_labels : PushReject::bad_protobuf, m);
    }
  }
  if (decoded->streams.empty())
    return reject(req, 422, PushReject::no_streams, "error at least one valid stream is required for ingestion");

  // Streams whose labels Loki would refuse: refused one by one, the rest of the body is ingested.
  detail::DecodedPush refused;
  std::string reasons;
  std::size_t n_refused = 0;
  for (auto it = decoded->streams.begin(); it != decoded->streams.end();) {
    if (it->invalid.empty()) {
      ++it;
      continue;
    }
    ++n_refused;
    if (reasons.size() < 1024) reasons += (reasons.empty() ? "" : "\n") + it->invalid;
    refused.streams.push_back(std::move(*it));
    it = decoded->streams.erase(it);
  }
  if (decoded->streams.empty()) return reject(req, 400, PushReject::bad_labels, reasons);

  PushOutcome out;
  out.entries = decoded->entry_count();
  out.batch = to_batch(std::move(*decoded), req.tenant);
  if (n_refused > 0) {
    // Partial success, as Loki answers it: 400 naming the refused streams (the client must not retry:
    // the accepted part would count twice). The refused streams alone become the dead letter, in the
    // body's own format, so a replay never repeats the accepted part.
    out.status = 400;
    out.reject = PushReject::bad_labels;
    out.reason = std::to_string(n_refused) + " of " + std::to_string(n_refused + decoded->streams.size()) +
                 " streams refused (the others were ingested): " + reasons;
    std::string payload;
    std::string_view ct;
    if (type == "application/json") {
      payload = "{\"streams\":[";
      for (std::size_t i = 0; i < refused.streams.size(); ++i) payload += (i ? "," : "") + refused.streams[i].raw;
      payload += "]}";
      ct = "application/json";
    } else {
      payload = detail::snappy_block_encode(detail::encode_push_protobuf(refused));
      ct = "application/x-protobuf";
    }
    const auto size = payload.size();
    out.batch.dead_letters.push_back(dead_letter(ct, "", payload, size,
                                                 std::string(to_string(PushReject::bad_labels)) + ": " + out.reason,
                                                 req.json_shape));
  }
  return out;
}

Batch LokiPushHandler::to_batch(detail::DecodedPush&& push, std::string_view tenant) const {
  PushEventOptions o;
  o.source = opts_.source;
  o.tenant = tenant;
  o.max_line_bytes = static_cast<std::size_t>(std::max<std::int64_t>(opts_.config.max_line_bytes, 1));
  o.stitch = opts_.stitch;
  return push_events(std::move(push), o);
}

Batch push_events(detail::DecodedPush&& push, const PushEventOptions& opts) {
  Batch batch;
  batch.events.reserve(push.entry_count());
  const std::size_t max_line = std::max<std::size_t>(opts.max_line_bytes, 1);
  const std::string_view tenant = opts.tenant;
  fingerprint::StitchOptions so;
  so.max_lines = opts.stitch.max_lines;
  so.max_bytes = opts.stitch.max_bytes;
  so.max_wait_ms = 0;
  so.entries = true;  // each entry is one event of its shipper; entries glue only on trace shapes

  for (auto& stream : push.streams) {
    auto make_event = [&](std::string text, std::int64_t ts_ms, std::uint32_t lines, bool truncated,
                          const Labels& metadata) {
      LogEvent& e = batch.events.emplace_back();
      e.ts = ts_ms;
      e.message = std::move(text);
      e.labels = merged_labels(stream.labels, metadata);
      e.source.assign(opts.source);
      e.tenant.assign(tenant);
      e.lines = lines;
      e.truncated = truncated;
      extract_fields(e);
    };

    // Entries go through the stitcher in order; `pending` remembers which entries it holds so a
    // stitched event can take the structured metadata of its first line.
    fingerprint::Stitcher stitcher(so);
    std::vector<fingerprint::StitchedEvent> ready;
    std::deque<std::size_t> pending;
    std::vector<bool> cut(stream.entries.size(), false);
    auto take_ready = [&] {
      for (auto& ev : ready) {
        const Labels* md = nullptr;
        while (!pending.empty()) {
          const detail::PushEntry& cand = stream.entries[pending.front()];
          pending.pop_front();
          std::string_view line = strip_newline(cand.line);
          while (!line.empty() && line.front() == '\0') line.remove_prefix(1);
          std::size_t n = std::min(line.size(), ev.text.size());
          if (!line.empty() && cand.ts_ns / 1'000'000 == ev.ts_ms && ev.text.compare(0, n, line, 0, n) == 0) {
            md = &cand.metadata;
            break;
          }
        }
        static const Labels none;
        make_event(std::move(ev.text), ev.ts_ms, static_cast<std::uint32_t>(ev.lines), ev.truncated, md ? *md : none);
      }
      ready.clear();
    };

    for (std::size_t i = 0; i < stream.entries.size(); ++i) {
      detail::PushEntry& entry = stream.entries[i];
      if (entry.line.size() > max_line) {
        entry.line.resize(max_line);
        cut[i] = true;
      }
      std::string_view line = strip_newline(entry.line);
      const std::int64_t ts_ms = entry.ts_ns / 1'000'000;
      if (line.find('\n') != std::string_view::npos || cut[i]) {
        // Already a whole event (Promtail multiline stage) or cut: close what is open, keep it as is.
        stitcher.flush_all(ready);
        take_ready();
        pending.clear();
        auto lines = static_cast<std::uint32_t>(1 + std::count(line.begin(), line.end(), '\n'));
        make_event(std::string(line), ts_ms, lines, cut[i], entry.metadata);
        continue;
      }
      pending.push_back(i);
      stitcher.push("s", line, ts_ms, ready);
      if (!ready.empty()) take_ready();
    }
    stitcher.flush_all(ready);
    take_ready();
  }
  return batch;
}

}  // namespace selfheal::ingest
