#pragma once
// Loki push body decoding, free of HTTP and of the pipeline: bytes in, decoded streams out.
// Everything here treats its input as hostile (fuzzed by tests/fuzz/fuzz_loki_push.cpp): bounded
// reads, no recursion on attacker-controlled depth, size limits checked before allocation, and
// errors as Result (ErrorCode::bad_input or too_large) with a reason fit for a 400 body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "schema/model.hpp"
#include "schema/result.hpp"

namespace selfheal::ingest::detail {

/// Limits applied while decoding. Label limits follow Loki's defaults.
struct DecodeLimits {
  std::size_t max_decompressed_bytes = 64 * 1024 * 1024;
  std::size_t max_label_names = 32;
  std::size_t max_label_name_bytes = 1024;
  std::size_t max_label_value_bytes = 2048;
};

struct PushEntry {
  std::int64_t ts_ns = 0;
  std::string line;
  Labels metadata;  // structured metadata, in wire order
};

struct PushStream {
  Labels labels;  // sorted by name, empty values dropped
  std::vector<PushEntry> entries;
  // Non-empty when Loki would refuse this stream's labels (missing, unparsable, invalid names,
  // duplicates, limits). Like Loki, the other streams of the body are still ingested.
  std::string invalid;
  std::string raw;  // invalid streams only: the label string (protobuf) or the stream's JSON text
};

struct DecodedPush {
  std::vector<PushStream> streams;
  std::size_t entry_count() const;
};

/// Which JSON shape a body uses: /loki/api/v1/push (v1) or /api/prom/push (legacy).
enum class JsonShape { v1, legacy };

/// Parses a Loki/PromQL label-set string such as `{app="api", env='dev'}` (Go escapes, raw
/// backquoted values, trailing comma). Result is sorted by name; labels with empty values are
/// dropped. Errors: bad_input (syntax, duplicate names, no labels, limits).
Result<Labels> parse_label_string(std::string_view text, const DecodeLimits& limits = {});

/// `{a="b", c="d"}` with names sorted and values quoted so parse_label_string reads it back.
std::string canonical_label_string(const Labels& labels);

/// Raw snappy *block* decode (not the framing format). Errors: bad_input, too_large.
Result<std::string> snappy_block_decode(std::string_view body, std::size_t max_out);
/// gzip, zlib or raw deflate (detected from the header). Errors: bad_input, too_large.
Result<std::string> inflate_body(std::string_view body, std::size_t max_out);

/// logproto.PushRequest in protobuf wire format (already snappy-decoded).
Result<DecodedPush> decode_push_protobuf(std::string_view bytes, const DecodeLimits& limits = {});
/// JSON body in the given shape.
Result<DecodedPush> decode_push_json(std::string_view body, JsonShape shape, const DecodeLimits& limits = {});

/// Encoders used by tests, the bench and the replay tooling: a PushRequest in protobuf wire format
/// (labels written canonically, or an invalid stream's raw label string) and a snappy block.
std::string encode_push_protobuf(const DecodedPush& push);
std::string snappy_block_encode(std::string_view raw);

}  // namespace selfheal::ingest::detail
