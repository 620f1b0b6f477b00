#include "processors/dedup.h"

#include <algorithm>
#include <limits>

namespace processors {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;
// MurmurHash3's fmix64 constants and shifts.
constexpr uint64_t kFmixMul1 = 0xff51afd7ed558ccdULL;
constexpr uint64_t kFmixMul2 = 0xc4ceb9fe1a85ec53ULL;
constexpr int kFmixShift = 33;

uint64_t Fmix64(uint64_t k) {
  k ^= k >> kFmixShift;
  k *= kFmixMul1;
  k ^= k >> kFmixShift;
  k *= kFmixMul2;
  k ^= k >> kFmixShift;
  return k;
}

// |a - b| without overflow.
uint64_t Distance(state::TimeMs a, state::TimeMs b) {
  const int64_t x = a.value(), y = b.value();
  return x >= y ? static_cast<uint64_t>(x) - static_cast<uint64_t>(y)
                : static_cast<uint64_t>(y) - static_cast<uint64_t>(x);
}

// Removes entry i by moving the last entry into its place.
void Erase(state::RecentIds& ids, size_t i) {
  ids.entries[i] = ids.entries[ids.size - 1];
  ids.entries[ids.size - 1] = {};
  --ids.size;
}

}  // namespace

uint64_t HashEventId(std::string_view event_id) {
  uint64_t h = kFnvOffset;
  for (const char c : event_id) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return Fmix64(h);
}

bool IsDuplicate(const state::RecentIds& ids, uint64_t hash, state::TimeMs time,
                 int64_t horizon_ms) {
  const auto horizon = static_cast<uint64_t>(std::max<int64_t>(horizon_ms, 0));
  for (size_t i = 0; i < ids.size; ++i) {
    const auto& e = ids.entries[i];
    if (e.hash == hash && Distance(e.time, time) <= horizon) return true;
  }
  return false;
}

void Remember(state::RecentIds& ids, uint64_t hash, state::TimeMs time, int64_t horizon_ms) {
  horizon_ms = std::max<int64_t>(horizon_ms, 0);
  ids.size = std::min<uint8_t>(ids.size, state::RecentIds::kCapacity);  // defensive
  int64_t newest = time.value();
  for (size_t i = 0; i < ids.size; ++i) newest = std::max(newest, ids.entries[i].time.value());
  // Entries older than this have expired. Saturates instead of overflowing.
  const int64_t cutoff = newest < std::numeric_limits<int64_t>::min() + horizon_ms
                             ? std::numeric_limits<int64_t>::min()
                             : newest - horizon_ms;
  for (size_t i = 0; i < ids.size;) {
    if (ids.entries[i].time.value() < cutoff) {
      Erase(ids, i);
    } else {
      ++i;
    }
  }
  if (time.value() < cutoff) return;  // already expired: remembering it is pointless
  for (size_t i = 0; i < ids.size; ++i) {
    auto& e = ids.entries[i];
    if (e.hash == hash) {
      e.time = std::max(e.time, time);
      return;
    }
  }
  if (!ids.full()) {
    ids.entries[ids.size++] = {hash, time};
    return;
  }
  size_t oldest = 0;
  for (size_t i = 1; i < ids.size; ++i) {
    if (ids.entries[i].time < ids.entries[oldest].time) oldest = i;
  }
  ids.entries[oldest] = {hash, time};
}

}  // namespace processors
