#pragma once
// Kafka sources of `selfheal serve`: one SourceRunner per `ingest.kafka[]` entry, registered as
// Components. Called from add_ingest_components (app/api_loki.cpp).
#include "app/context.hpp"

namespace selfheal::app {

/// Adds one component per configured Kafka source (none when ingest.kafka is empty). Errors: config
/// (a secret_properties_env variable is not set).
Result<void> add_kafka_components(AppContext& ctx);

}  // namespace selfheal::app
