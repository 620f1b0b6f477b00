#pragma once

// RocksDB key encodings (see state/FORMAT.md). Pure functions; header-only.

#include <cstdint>
#include <string>
#include <string_view>

#include "state/types.h"

namespace state::keys {

inline void PutBigEndian32(uint32_t v, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

inline uint32_t GetBigEndian32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

// customers CF: partition (u32, big-endian) then the customer id bytes. Big-endian so
// that one partition's customers are one contiguous key range.
inline std::string Customer(Partition p, std::string_view customer_id) {
  std::string k;
  k.reserve(4 + customer_id.size());
  PutBigEndian32(static_cast<uint32_t>(p.value()), &k);
  k.append(customer_id);
  return k;
}

// meta CF: 'o', partition (u32, big-endian), topic bytes -> next offset (8 bytes LE).
inline constexpr char kOffsetPrefix = 'o';
inline std::string OffsetKey(const TopicPartition& tp) {
  std::string k(1, kOffsetPrefix);
  PutBigEndian32(static_cast<uint32_t>(tp.partition.value()), &k);
  k.append(tp.topic);
  return k;
}

// timers CF: partition (u32, big-endian), due time (i64 with the sign bit flipped,
// big-endian, so that byte order is time order), customer id bytes -> empty.
inline std::string Timer(Partition p, TimeMs due, std::string_view customer_id) {
  std::string k;
  k.reserve(12 + customer_id.size());
  PutBigEndian32(static_cast<uint32_t>(p.value()), &k);
  const uint64_t ordered = static_cast<uint64_t>(due.value()) ^ (uint64_t{1} << 63);
  PutBigEndian32(static_cast<uint32_t>(ordered >> 32), &k);
  PutBigEndian32(static_cast<uint32_t>(ordered), &k);
  k.append(customer_id);
  return k;
}
inline constexpr size_t kTimerPrefixBytes = 12;  // partition + due time

inline TimeMs TimerDue(std::string_view key) {
  const uint64_t ordered =
      (uint64_t{GetBigEndian32(key.substr(4))} << 32) | GetBigEndian32(key.substr(8));
  return TimeMs(static_cast<int64_t>(ordered ^ (uint64_t{1} << 63)));
}

// The first key of partition `p` in the customers and timers CFs; the key of `p + 1`
// bounds the range.
inline std::string PartitionPrefix(Partition p) {
  std::string k;
  PutBigEndian32(static_cast<uint32_t>(p.value()), &k);
  return k;
}

// meta CF: 's', partition (u32, big-endian) -> stream time in ms (8 bytes LE).
inline constexpr char kStreamTimePrefix = 's';
inline std::string StreamTimeKey(Partition p) {
  std::string k(1, kStreamTimePrefix);
  PutBigEndian32(static_cast<uint32_t>(p.value()), &k);
  return k;
}

// meta CF: 'm', partition (u32, big-endian) -> the partition's customers per segment
// and churn band (state/store.h MemberCounts).
inline constexpr char kMemberCountsPrefix = 'm';
inline std::string MemberCountsKey(Partition p) {
  std::string k(1, kMemberCountsPrefix);
  PutBigEndian32(static_cast<uint32_t>(p.value()), &k);
  return k;
}

// meta CF: 'l', partition (u32, big-endian) -> the next changelog offset to apply to
// this store (8 bytes LE): every changelog record before it is reflected here.
inline constexpr char kChangelogOffsetPrefix = 'l';
inline std::string ChangelogOffsetKey(Partition p) {
  std::string k(1, kChangelogOffsetPrefix);
  PutBigEndian32(static_cast<uint32_t>(p.value()), &k);
  return k;
}

// meta CF: 'a', partition (u32, big-endian) -> the wall-clock time at which the store's
// copy of the partition was last known current (its changelog position 'l' at the
// changelog's end), in ms since the epoch (8 bytes LE). Missing in stores written
// before it existed.
inline constexpr char kChangelogAsOfPrefix = 'a';
inline std::string ChangelogAsOfKey(Partition p) {
  std::string k(1, kChangelogAsOfPrefix);
  PutBigEndian32(static_cast<uint32_t>(p.value()), &k);
  return k;
}

// meta CF: 'f', partition (u32, big-endian) -> every timer of the partition due at or
// before this time has fired, in ms since the epoch (8 bytes LE).
inline constexpr char kFiredThroughPrefix = 'f';
inline std::string FiredThroughKey(Partition p) {
  std::string k(1, kFiredThroughPrefix);
  PutBigEndian32(static_cast<uint32_t>(p.value()), &k);
  return k;
}

}  // namespace state::keys
