#pragma once

// Internals of the customer-state codec (state/codec.h): the sections of version 2 and
// a reader that remembers failure. Pure; thread-safe.
//
// Version 2 layout. Byte 0 is the version (2); then the version-1 header (see
// state/codec.cc); then a varint mask of the sections present; then each present
// section in this order. "zz" is a zig-zag varint, "uv" an unsigned varint, "f64" the
// 8 bytes of a double (little-endian), "num" a compact lossless number: uv(zz(i) << 2)
// for an integral value i (|i| < 2^53), else a byte 1 and the 4 bytes of a float when
// the value survives the round trip through float exactly, else a byte 2 and f64.
// Times are zz deltas from last_seen unless said otherwise.
//   kRecentIds:  count (byte, <= RecentIds::kCapacity); per entry in order: hash (8
//                bytes LE), time (zz delta).
// Series masks ("smask") number their bits in kSeriesOrder (state/codec_sections.cc),
// the common series first, so that typical masks take one byte.
//   kTypeCounts: smask of types present; uv count per set bit, in bit order.
//   kActiveDays: uv.
//   kDecayed:    landmark: uv(zz(days from first_seen's UTC day) << 1) when it is a
//                UTC midnight (always, as processors/decay.h sets it), else
//                uv(zz(ms from first_seen) << 1 | 1); slot count n (byte, <=
//                kMaxHalfLives); per slot: half-life days (uv), smask of series (bit
//                kSeriesCount = revenue), f64 per set bit (the revenue sum last).
//   kDays:       head_day (zz, days from last_seen's UTC day); uv mask of the ring's
//                non-empty days (bit i = day head_day − i); per set day: smask, uv count
//                per set bit;
//                then uv mask of days with revenue, num per set bit.
//   kSessions:   start, last (zz deltas); count, active_ms, converting (uv);
//                current_converted (byte).
//   kPurchases:  revenue_total (num); with_revenue (uv); first (zz delta from
//                first_seen); last − first (uv); distinct_days (uv); f_score, m_score
//                (bytes).
//   kFeedback:   rating_sum (num); rating_count (uv); presence byte (bit 0 nps, 1 csat,
//                2 ces); per present answer: value (num), time (zz delta).
//   kChurn:      band (byte, ChurnBand); risk (num); since (zz delta).
// Section data are written only when they differ from the default, so a customer who
// never bought writes no kPurchases at all. All values round-trip exactly: the
// decayed sums and money need every bit for determinism (a commit may evict a customer
// from the cache at any point, and its state must come back unchanged).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "state/customer_state.h"
#include "state/varint.h"

namespace state {

enum Section : uint8_t {
  kRecentIds,
  kTypeCounts,
  kActiveDays,
  kDecayed,
  kDays,
  kSessions,
  kPurchases,
  kFeedback,
  kChurn,  // added after version 2 shipped: older blobs simply lack the bit
  kSectionCount,
};

// Wraps a ByteReader; every getter returns 0 (or empty) once anything failed, and ok()
// says whether everything read so far was well-formed.
class CodecIn {
 public:
  explicit CodecIn(ByteReader& r) : r_(r) {}

  uint64_t Unsigned() { return Take(r_.Varint64()); }
  int64_t Signed() { return Take(r_.Signed()); }
  uint8_t Byte() { return Take(r_.Byte()); }
  uint64_t Fixed64() { return Take(r_.Fixed64()); }
  double Double() { return Take(r_.Double()); }
  std::string_view Bytes() { return Take(r_.Bytes()); }
  double Number();
  // Fails the read when `condition` is false (a value out of range).
  void Require(bool condition) { ok_ = ok_ && condition; }
  bool ok() const { return ok_; }

 private:
  template <typename T>
  T Take(std::optional<T> v) {
    if (!v) ok_ = false;
    return ok_ && v ? *v : T{};
  }

  ByteReader& r_;
  bool ok_ = true;
};

// Appends the section mask and the sections of `s` (version 2).
void PutSections(const CustomerState& s, std::string* out);
// Reads the sections named by `mask` into `s`.
void GetSections(CodecIn& in, uint64_t mask, CustomerState& s);

}  // namespace state
