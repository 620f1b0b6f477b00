#pragma once

// Reads the consumer's per-partition offsets out of librdkafka's statistics JSON
// (STATISTICS.md: topics.<name>.partitions.<id>). No librdkafka here, so tests can
// include it. Stateless and thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ops/status.h"

namespace topologies::kafka {

// One partition of the statistics. Offsets librdkafka does not know are negative
// (-1001, "invalid"); consumer_lag is -1 when unknown.
struct PartitionStats {
  std::string topic;
  int32_t partition = -1;
  int64_t consumer_lag = -1;      // high watermark - committed offset
  int64_t hi_offset = -1;         // the partition's high watermark
  int64_t app_offset = -1;        // the offset of the last record handed to engaged + 1
  int64_t committed_offset = -1;  // the group's last committed offset
};

// Every real partition (not the internal -1 "unassigned" one) in `json`.
// InvalidArgument when `json` is not a JSON object of the documented shape.
ops::Result<std::vector<PartitionStats>> ParseConsumerStats(std::string_view json);

// Records behind for one partition: consumer_lag when librdkafka knows it (offsets
// committed), else hi_offset - app_offset (nothing committed yet), else -1.
int64_t LagRecords(const PartitionStats& p);

}  // namespace topologies::kafka
