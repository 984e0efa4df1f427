#pragma once
// RAII owners for librdkafka C handles. Internal to ingest (kafka_source.cpp, tests, bench).
#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <vector>

#include "schema/result.hpp"

namespace selfheal::ingest::detail {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
struct ErrorDeleter {
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};
/// Destroys a handle; a consumer should be closed (rd_kafka_consumer_close) first for a clean leave.
struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

/// Sets every (name, value) pair; the first failure is a config error naming the property.
inline Result<void> set_properties(rd_kafka_conf_t* conf,
                                   const std::vector<std::pair<std::string, std::string>>& props) {
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      return make_error(ErrorCode::config, "librdkafka property '" + k + "': " + err);
    }
  }
  return ok();
}

}  // namespace selfheal::ingest::detail
