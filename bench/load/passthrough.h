#pragma once

// The stateless consume->produce passthrough: the practical ceiling that engaged's
// end-to-end throughput is compared with. It reads the same config file as `engaged
// run` and opens the very same Kafka source and sink (topologies/kafka), so every
// librdkafka setting is engaged's; it copies each input record (key and value) to
// output.segment_changes_topic and, every processing.commit_interval_ms, flushes the
// producer and then commits the consumed offsets to the group (at-least-once, as
// engaged, minus decoding and state).

#include <atomic>
#include <string>

#include "ops/status.h"
#include "topologies/config.h"

namespace load {

// Runs until `stop` becomes true, then commits and leaves the group.
// REQUIRES: config.input.topics is not empty.
ops::Status RunPassthrough(const topologies::Config& config, const std::atomic<bool>& stop);

}  // namespace load
