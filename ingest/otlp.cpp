#include "ingest/otlp.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "ingest/detail/otlp_decode.hpp"
#include "ingest/detail/proto_wire.hpp"
#include "ingest/loki_push.hpp"

namespace selfheal::ingest {
namespace {

/// "type/subtype" of a Content-Type, lower-cased, without parameters or spaces.
std::string bare_media_type(std::string_view header) {
  header = header.substr(0, header.find(';'));
  std::string out;
  for (char c : header)
    if (c != ' ' && c != '\t') out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  return out;
}

bool is_protobuf(std::string_view type) { return type == "application/x-protobuf" || type == "application/protobuf"; }

/// gRPC code of an HTTP answer, for google.rpc.Status (OTLP/HTTP maps them this way round).
int grpc_code(int http_status) {
  switch (http_status) {
    case 429: return 8;   // RESOURCE_EXHAUSTED
    case 503: return 14;  // UNAVAILABLE
    case 401: return 16;  // UNAUTHENTICATED
    default: return 3;    // INVALID_ARGUMENT
  }
}

}  // namespace

std::string_view to_string(OtlpReject r) {
  switch (r) {
    case OtlpReject::none: return "none";
    case OtlpReject::bad_content_type: return "bad_content_type";
    case OtlpReject::bad_encoding: return "bad_encoding";
    case OtlpReject::bad_compression: return "bad_compression";
    case OtlpReject::bad_protobuf: return "bad_protobuf";
    case OtlpReject::bad_json: return "bad_json";
    case OtlpReject::too_large: return "too_large";
    case OtlpReject::bad_records: return "bad_records";
  }
  return "none";
}

OtlpFormat otlp_format_of(std::string_view content_type) {
  return is_protobuf(bare_media_type(content_type)) ? OtlpFormat::protobuf : OtlpFormat::json;
}

std::string otlp_status_body(OtlpFormat format, int http_status, std::string_view message) {
  message = message.substr(0, 4096);
  if (format == OtlpFormat::json)
    return nlohmann::json{{"code", grpc_code(http_status)}, {"message", message}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  detail::put_key(out, 1, detail::varint_type);
  detail::put_varint(out, static_cast<std::uint64_t>(grpc_code(http_status)));
  detail::put_bytes(out, 2, message);
  return out;
}

std::string OtlpOutcome::response_body() const {
  if (status != 200) return otlp_status_body(format, status, reason);
  if (!partial()) return format == OtlpFormat::json ? "{}" : "";
  const std::string_view message = std::string_view(reason).substr(0, 4096);
  if (format == OtlpFormat::json)
    return nlohmann::json{{"partialSuccess", {{"rejectedLogRecords", rejected}, {"errorMessage", message}}}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string partial_success;  // ExportLogsPartialSuccess: 1 rejected_log_records, 2 error_message
  detail::put_key(partial_success, 1, detail::varint_type);
  detail::put_varint(partial_success, rejected);
  detail::put_bytes(partial_success, 2, message);
  std::string out;
  detail::put_bytes(out, 1, partial_success);
  return out;
}

std::string_view OtlpOutcome::response_content_type() const {
  return format == OtlpFormat::json ? "application/json" : "application/x-protobuf";
}

OtlpHandler::OtlpHandler(OtlpOptions opts, const Clock& clock) : opts_(std::move(opts)), clock_(clock) {}

DeadLetter OtlpHandler::dead_letter(std::string_view content_type, std::string_view content_encoding,
                                    std::string_view payload, std::uint64_t size, std::string reason) const {
  DeadLetter d;
  d.ts = clock_.now_ms();
  d.source = opts_.source;
  d.reason = std::move(reason);
  d.content_type = dead_letter_content_type(content_type, content_encoding, detail::JsonShape::v1);
  d.payload.assign(payload.substr(0, opts_.max_dead_letter_bytes));
  d.size = size;
  return d;
}

OtlpOutcome OtlpHandler::refuse(std::string_view content_type, std::string_view content_encoding, std::string_view head,
                                std::uint64_t size, int status, OtlpReject code, std::string reason) const {
  OtlpOutcome out;
  out.status = status;
  out.reject = code;
  out.format = otlp_format_of(content_type);
  out.reason = std::move(reason);
  out.batch.dead_letters.push_back(
      dead_letter(content_type, content_encoding, head, size, std::string(to_string(code)) + ": " + out.reason));
  return out;
}

OtlpOutcome OtlpHandler::handle(const OtlpRequest& req) const {
  const auto& cfg = opts_.config;
  auto refuse_body = [&](int status, OtlpReject code, std::string reason) {
    return refuse(req.content_type, req.content_encoding, req.body, req.body.size(), status, code, std::move(reason));
  };
  const auto max_body = static_cast<std::uint64_t>(std::max<std::int64_t>(cfg.max_body_bytes, 0));
  if (req.body.size() > max_body)
    return refuse_body(413, OtlpReject::too_large,
                       "body of " + std::to_string(req.body.size()) + " bytes exceeds the limit of " + std::to_string(max_body));
  const std::string type = bare_media_type(req.content_type);
  if (!is_protobuf(type) && type != "application/json")
    return refuse_body(415, OtlpReject::bad_content_type,
                       req.content_type.empty() ? "Content-Type is required: application/x-protobuf or application/json"
                                                : "unsupported Content-Type; use application/x-protobuf or application/json");

  std::string inflated;
  std::string_view body = req.body;
  const std::string enc = bare_media_type(req.content_encoding);
  if (enc == "gzip" || enc == "deflate") {
    auto r = detail::inflate_body(body, static_cast<std::size_t>(std::max<std::int64_t>(cfg.max_decompressed_bytes, 0)));
    if (!r)
      return r.error().code == ErrorCode::too_large ? refuse_body(413, OtlpReject::too_large, r.error().message)
                                                    : refuse_body(400, OtlpReject::bad_compression, enc + ": " + r.error().message);
    inflated = std::move(*r);
    body = inflated;
  } else if (!enc.empty() && enc != "identity") {
    return refuse_body(400, OtlpReject::bad_encoding,
                       "Content-Encoding \"" + std::string(req.content_encoding.substr(0, 64)) + "\" not supported; use gzip");
  }

  detail::OtlpLimits limits;
  limits.max_labels = static_cast<std::size_t>(std::max<std::int64_t>(cfg.max_attributes, 0));
  limits.max_fields = limits.max_labels;
  limits.now_ns = clock_.now_ms() * 1'000'000;
  const bool proto = is_protobuf(type);
  auto decoded = proto ? detail::decode_otlp_protobuf(body, limits) : detail::decode_otlp_json(body, limits);
  if (!decoded)
    return refuse_body(400, proto ? OtlpReject::bad_protobuf : OtlpReject::bad_json, decoded.error().message);
  if (decoded->records == 0 && decoded->rejected > 0)
    return refuse_body(400, OtlpReject::bad_records,
                       "all " + std::to_string(decoded->rejected) + " log records refused: " + decoded->reasons);

  OtlpOutcome out;
  out.format = proto ? OtlpFormat::protobuf : OtlpFormat::json;
  out.records = decoded->records;
  out.rejected = decoded->rejected;
  PushEventOptions po;
  po.source = opts_.source;
  po.max_line_bytes = static_cast<std::size_t>(std::max<std::int64_t>(cfg.max_line_bytes, 1));
  po.stitch = opts_.stitch;
  out.batch = push_events(std::move(decoded->push), po);
  if (out.rejected > 0) {
    out.reject = OtlpReject::bad_records;
    out.reason = std::to_string(out.rejected) + " of " + std::to_string(out.rejected + out.records) +
                 " log records refused (the others were accepted): " + decoded->reasons;
    const auto size = decoded->rejected_payload.size();
    out.batch.dead_letters.push_back(dead_letter(proto ? "application/x-protobuf" : "application/json", "",
                                                 decoded->rejected_payload, size,
                                                 std::string(to_string(out.reject)) + ": " + out.reason));
  }
  return out;
}

}  // namespace selfheal::ingest
