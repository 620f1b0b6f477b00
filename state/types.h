#pragma once

// Strong types for the numbers that are easy to mix up: offsets, partitions and event
// times. A raw int64_t could be any of them.

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace state {

template <typename T, typename Tag>
class Strong {
 public:
  using ValueType = T;
  constexpr Strong() = default;
  constexpr explicit Strong(T v) : v_(v) {}
  constexpr T value() const { return v_; }
  constexpr auto operator<=>(const Strong&) const = default;

 private:
  T v_{};
};

// A Kafka partition number.
using Partition = Strong<int32_t, struct PartitionTag>;
// A Kafka offset; for files, the 0-based line number.
using Offset = Strong<int64_t, struct OffsetTag>;
// Event time or processing time: milliseconds since the Unix epoch, UTC.
using TimeMs = Strong<int64_t, struct TimeMsTag>;

constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
constexpr int64_t kMsPerDay = 24 * kMsPerHour;

// A topic and one of its partitions.
struct TopicPartition {
  std::string topic;
  Partition partition;
  auto operator<=>(const TopicPartition&) const = default;
};

}  // namespace state

template <typename T, typename Tag>
struct std::hash<state::Strong<T, Tag>> {
  size_t operator()(const state::Strong<T, Tag>& s) const noexcept {
    return std::hash<T>{}(s.value());
  }
};
