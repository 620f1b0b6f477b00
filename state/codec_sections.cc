// The sections of customer-state codec version 2 (layout in state/codec_io.h).

#include <array>
#include <bit>
#include <cmath>
#include <cstring>

#include "state/codec_io.h"

namespace state {
namespace {

constexpr uint64_t kNumberInteger = 0;  // low two bits of the first varint
constexpr uint8_t kNumberFloat = 1;
constexpr uint8_t kNumberDouble = 2;
constexpr int kNumberTagBits = 2;
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53
constexpr int kRevenueBit = kSeriesCount;                // in a kDecayed series mask

// ---- numbers ------------------------------------------------------------------------

void PutNumber(double v, std::string* out) {
  const bool negative_zero = v == 0 && std::signbit(v);
  if (std::trunc(v) == v && std::fabs(v) < kMaxExactInteger && !negative_zero) {
    PutVarint64(ZigZag(static_cast<int64_t>(v)) << kNumberTagBits | kNumberInteger, out);
  } else if (static_cast<double>(static_cast<float>(v)) == v) {
    out->push_back(static_cast<char>(kNumberFloat));
    PutFixed32(std::bit_cast<uint32_t>(static_cast<float>(v)), out);
  } else {
    out->push_back(static_cast<char>(kNumberDouble));
    PutDouble(v, out);
  }
}

// Series in the order of their bits in encoded masks: the common ones first, so that a
// typical mask fits in one varint byte (page_view, sessions, product_view, search,
// click, add_to_cart, purchase, then the rest). Values are series indices; kTypeCount
// is sessions.
constexpr std::array<uint8_t, kSeriesCount> kSeriesOrder = {
    0, 23, 1, 2, 3, 12, 14, 4, 21, 6, 5, 7, 13, 8, 9, 10, 11, 15, 16, 17, 18, 19, 20, 22};

// kSeriesBit[i]: the bit of series i in an encoded mask (kSeriesOrder inverted).
constexpr std::array<uint8_t, kSeriesCount> kSeriesBit = [] {
  std::array<uint8_t, kSeriesCount> bits{};
  for (size_t b = 0; b < kSeriesOrder.size(); ++b) bits[kSeriesOrder[b]] = static_cast<uint8_t>(b);
  return bits;
}();

// Bit b set when a[kSeriesOrder[b]] is non-zero. `a` has kTypeCount or kSeriesCount
// entries (series beyond its end count as zero). The encoder's hottest helper: a
// branch-free (vectorized) pass in index order, then one step per non-zero entry.
template <typename Array>
uint64_t NonZeroMask(const Array& a) {
  static_assert(std::tuple_size_v<Array> <= kSeriesCount);
  uint32_t by_index = 0;
  for (size_t i = 0; i < a.size(); ++i) by_index |= static_cast<uint32_t>(a[i] != 0) << i;
  uint64_t mask = 0;
  for (; by_index != 0; by_index &= by_index - 1) {
    mask |= uint64_t{1} << kSeriesBit[static_cast<size_t>(std::countr_zero(by_index))];
  }
  return mask;
}

// Calls put(i) for the series index i of every bit of `mask`, in bit order.
template <typename Fn>
void ForEachSeries(uint64_t mask, Fn&& put) {
  for (size_t b = 0; b < kSeriesOrder.size(); ++b) {
    if ((mask >> b) & 1) put(kSeriesOrder[b]);
  }
}

int64_t FloorDay(TimeMs t) {
  const int64_t ms = t.value();
  return ms >= 0 ? ms / kMsPerDay : -((-ms + kMsPerDay - 1) / kMsPerDay);
}

// ---- writers ------------------------------------------------------------------------

void PutTime(TimeMs t, TimeMs base, std::string* out) { PutSigned(t.value() - base.value(), out); }

void PutRecentIds(const CustomerState& s, std::string* out) {
  const RecentIds& ids = s.recent_ids;
  out->push_back(static_cast<char>(ids.size));
  for (size_t i = 0; i < ids.size; ++i) {
    PutFixed64(ids.entries[i].hash, out);
    PutTime(ids.entries[i].time, s.last_seen, out);
  }
}

void PutTypeCounts(const CustomerState& s, std::string* out) {
  const uint64_t mask = NonZeroMask(s.type_counts);
  PutVarint64(mask, out);
  ForEachSeries(mask, [&](size_t i) { PutVarint64(s.type_counts[i], out); });
}

void PutDecayed(const CustomerState& s, std::string* out) {
  const DecayedCounters& c = s.decayed;
  // The landmark is a UTC midnight (processors/decay.h): then its day, as a delta from
  // first_seen's, with a 0 tag bit; else the ms delta from first_seen with a 1.
  if (c.landmark.value() % kMsPerDay == 0) {
    PutVarint64(ZigZag(FloorDay(c.landmark) - FloorDay(s.first_seen)) << 1, out);
  } else {
    PutVarint64(ZigZag(c.landmark.value() - s.first_seen.value()) << 1 | 1, out);
  }
  int slots = 0;
  for (int k = 0; k < kMaxHalfLives; ++k) slots = c.half_life_days[k] != 0 ? k + 1 : slots;
  out->push_back(static_cast<char>(slots));
  for (int k = 0; k < slots; ++k) {
    PutVarint64(c.half_life_days[k], out);
    const uint64_t mask = NonZeroMask(c.sums[k]) | uint64_t{c.revenue[k] != 0} << kRevenueBit;
    PutVarint64(mask, out);
    ForEachSeries(mask, [&](size_t i) { PutDouble(c.sums[k][i], out); });
    if ((mask >> kRevenueBit) & 1) PutDouble(c.revenue[k], out);
  }
}

int Slot(int64_t day) {
  const int64_t m = day % kWindowDays;
  return static_cast<int>(m < 0 ? m + kWindowDays : m);
}

void PutDays(const CustomerState& s, std::string* out) {
  const DayWindows& w = s.days;
  PutSigned(w.head_day - FloorDay(s.last_seen), out);
  uint64_t days = 0, revenue = 0;
  for (int i = 0; i < kWindowDays; ++i) {
    const int slot = Slot(int64_t{w.head_day} - i);
    days |= static_cast<uint64_t>(NonZeroMask(w.counts[slot]) != 0) << i;
    revenue |= static_cast<uint64_t>(w.revenue[slot] != 0) << i;
  }
  PutVarint64(days, out);
  for (int i = 0; i < kWindowDays; ++i) {
    if (((days >> i) & 1) == 0) continue;
    const auto& counts = w.counts[Slot(int64_t{w.head_day} - i)];
    const uint64_t mask = NonZeroMask(counts);
    PutVarint64(mask, out);
    ForEachSeries(mask, [&](size_t k) { PutVarint64(counts[k], out); });
  }
  PutVarint64(revenue, out);
  for (int i = 0; i < kWindowDays; ++i) {
    if ((revenue >> i) & 1) PutNumber(w.revenue[Slot(int64_t{w.head_day} - i)], out);
  }
}

void PutSessions(const CustomerState& s, std::string* out) {
  const Sessions& x = s.sessions;
  PutTime(x.start, s.last_seen, out);
  PutTime(x.last, s.last_seen, out);
  PutVarint64(static_cast<uint64_t>(x.count), out);
  PutVarint64(static_cast<uint64_t>(x.active_ms), out);
  PutVarint64(static_cast<uint64_t>(x.converting), out);
  out->push_back(static_cast<char>(x.current_converted));
}

void PutPurchases(const CustomerState& s, std::string* out) {
  const Purchases& p = s.purchases;
  PutNumber(p.revenue_total, out);
  PutVarint64(static_cast<uint64_t>(p.with_revenue), out);
  PutTime(p.first, s.first_seen, out);
  PutSigned(p.last.value() - p.first.value(), out);
  PutVarint64(static_cast<uint64_t>(p.distinct_days), out);
  out->push_back(static_cast<char>(p.f_score));
  out->push_back(static_cast<char>(p.m_score));
}

void PutFeedback(const CustomerState& s, std::string* out) {
  const Feedback& f = s.feedback;
  PutNumber(f.rating_sum, out);
  PutVarint64(static_cast<uint64_t>(f.rating_count), out);
  const LatestScore* answers[] = {&f.nps, &f.csat, &f.ces};
  uint8_t present = 0;
  for (int i = 0; i < 3; ++i) present |= static_cast<uint8_t>(answers[i]->present << i);
  out->push_back(static_cast<char>(present));
  for (const LatestScore* a : answers) {
    if (!a->present) continue;
    PutNumber(a->value, out);
    PutTime(a->time, s.last_seen, out);
  }
}

void PutChurn(const CustomerState& s, std::string* out) {
  out->push_back(static_cast<char>(s.churn.band));
  PutNumber(s.churn.risk, out);
  PutTime(s.churn.since, s.last_seen, out);
}

uint64_t SectionMask(const CustomerState& s) {
  static const CustomerState d;
  uint64_t m = 0;
  m |= uint64_t{!(s.recent_ids == d.recent_ids)} << kRecentIds;
  m |= uint64_t{s.type_counts != d.type_counts} << kTypeCounts;
  m |= uint64_t{s.active_days != d.active_days} << kActiveDays;
  m |= uint64_t{!(s.decayed == d.decayed)} << kDecayed;
  m |= uint64_t{!(s.days == d.days)} << kDays;
  m |= uint64_t{!(s.sessions == d.sessions)} << kSessions;
  m |= uint64_t{!(s.purchases == d.purchases)} << kPurchases;
  m |= uint64_t{!(s.feedback == d.feedback)} << kFeedback;
  m |= uint64_t{!(s.churn == d.churn)} << kChurn;
  return m;
}

// ---- readers ------------------------------------------------------------------------

TimeMs GetTime(CodecIn& in, TimeMs base) { return TimeMs(base.value() + in.Signed()); }

void GetRecentIds(CodecIn& in, CustomerState& s) {
  RecentIds& ids = s.recent_ids;
  const uint8_t n = in.Byte();
  in.Require(n <= RecentIds::kCapacity);
  for (uint8_t i = 0; i < n && in.ok(); ++i) {
    ids.entries[i].hash = in.Fixed64();
    ids.entries[i].time = GetTime(in, s.last_seen);
  }
  ids.size = in.ok() ? n : 0;
}

// A mask that may only name bits below `bits`.
uint64_t GetMask(CodecIn& in, int bits) {
  const uint64_t mask = in.Unsigned();
  in.Require(mask >> bits == 0);
  return in.ok() ? mask : 0;
}

void GetTypeCounts(CodecIn& in, CustomerState& s) {
  const uint64_t mask = GetMask(in, kSeriesCount);
  ForEachSeries(mask, [&](size_t i) {
    in.Require(i < s.type_counts.size());
    if (in.ok()) s.type_counts[i] = static_cast<uint32_t>(in.Unsigned());
  });
}

void GetDecayed(CodecIn& in, CustomerState& s) {
  DecayedCounters& c = s.decayed;
  const uint64_t landmark = in.Unsigned();
  c.landmark = (landmark & 1) == 0
                   ? TimeMs((FloorDay(s.first_seen) + UnZigZag(landmark >> 1)) * kMsPerDay)
                   : TimeMs(s.first_seen.value() + UnZigZag(landmark >> 1));
  const uint8_t slots = in.Byte();
  in.Require(slots <= kMaxHalfLives);
  for (int k = 0; k < slots && in.ok(); ++k) {
    c.half_life_days[k] = static_cast<uint16_t>(in.Unsigned());
    const uint64_t mask = GetMask(in, kRevenueBit + 1);
    ForEachSeries(mask, [&](size_t i) { c.sums[k][i] = in.Double(); });
    if ((mask >> kRevenueBit) & 1) c.revenue[k] = in.Double();
  }
}

void GetDays(CodecIn& in, CustomerState& s) {
  DayWindows& w = s.days;
  w.head_day = static_cast<int32_t>(FloorDay(s.last_seen) + in.Signed());
  const uint64_t days = GetMask(in, kWindowDays);
  for (int i = 0; i < kWindowDays; ++i) {
    if (((days >> i) & 1) == 0) continue;
    auto& counts = w.counts[Slot(int64_t{w.head_day} - i)];
    const uint64_t mask = GetMask(in, kSeriesCount);
    ForEachSeries(mask, [&](size_t k) { counts[k] = static_cast<uint16_t>(in.Unsigned()); });
  }
  const uint64_t revenue = GetMask(in, kWindowDays);
  for (int i = 0; i < kWindowDays; ++i) {
    if ((revenue >> i) & 1) w.revenue[Slot(int64_t{w.head_day} - i)] = in.Number();
  }
}

void GetSessions(CodecIn& in, CustomerState& s) {
  Sessions& x = s.sessions;
  x.start = GetTime(in, s.last_seen);
  x.last = GetTime(in, s.last_seen);
  x.count = static_cast<int64_t>(in.Unsigned());
  x.active_ms = static_cast<int64_t>(in.Unsigned());
  x.converting = static_cast<int64_t>(in.Unsigned());
  x.current_converted = in.Byte() != 0;
}

void GetPurchases(CodecIn& in, CustomerState& s) {
  Purchases& p = s.purchases;
  p.revenue_total = in.Number();
  p.with_revenue = static_cast<int64_t>(in.Unsigned());
  p.first = GetTime(in, s.first_seen);
  p.last = TimeMs(p.first.value() + in.Signed());
  p.distinct_days = static_cast<int32_t>(in.Unsigned());
  p.f_score = in.Byte();
  p.m_score = in.Byte();
}

void GetFeedback(CodecIn& in, CustomerState& s) {
  Feedback& f = s.feedback;
  f.rating_sum = in.Number();
  f.rating_count = static_cast<int64_t>(in.Unsigned());
  const uint8_t present = in.Byte();
  in.Require(present >> 3 == 0);
  LatestScore* answers[] = {&f.nps, &f.csat, &f.ces};
  for (int i = 0; i < 3 && in.ok(); ++i) {
    if (((present >> i) & 1) == 0) continue;
    answers[i]->present = true;
    answers[i]->value = in.Number();
    answers[i]->time = GetTime(in, s.last_seen);
  }
}

void GetChurn(CodecIn& in, CustomerState& s) {
  const uint8_t band = in.Byte();
  in.Require(band <= static_cast<uint8_t>(ChurnBand::kHigh));
  s.churn.band = in.ok() ? static_cast<ChurnBand>(band) : ChurnBand::kNone;
  s.churn.risk = in.Number();
  s.churn.since = GetTime(in, s.last_seen);
}

}  // namespace

void GetSections(CodecIn& in, uint64_t mask, CustomerState& s) {
  if ((mask >> kRecentIds) & 1) GetRecentIds(in, s);
  if ((mask >> kTypeCounts) & 1) GetTypeCounts(in, s);
  if ((mask >> kActiveDays) & 1) s.active_days = static_cast<int32_t>(in.Unsigned());
  if ((mask >> kDecayed) & 1) GetDecayed(in, s);
  if ((mask >> kDays) & 1) GetDays(in, s);
  if ((mask >> kSessions) & 1) GetSessions(in, s);
  if ((mask >> kPurchases) & 1) GetPurchases(in, s);
  if ((mask >> kFeedback) & 1) GetFeedback(in, s);
  if ((mask >> kChurn) & 1) GetChurn(in, s);
}

double CodecIn::Number() {
  const auto first = r_.Varint64();
  if (!first) return Take(std::optional<double>());
  const uint64_t tag = *first & ((1u << kNumberTagBits) - 1);
  if (tag == kNumberInteger) return static_cast<double>(UnZigZag(*first >> kNumberTagBits));
  if (*first == kNumberFloat) {
    const uint32_t bits = Take(r_.Fixed32());
    return static_cast<double>(std::bit_cast<float>(bits));
  }
  Require(*first == kNumberDouble);
  return Double();
}

void PutSections(const CustomerState& s, std::string* out) {
  const uint64_t mask = SectionMask(s);
  PutVarint64(mask, out);
  if ((mask >> kRecentIds) & 1) PutRecentIds(s, out);
  if ((mask >> kTypeCounts) & 1) PutTypeCounts(s, out);
  if ((mask >> kActiveDays) & 1) PutVarint64(static_cast<uint64_t>(s.active_days), out);
  if ((mask >> kDecayed) & 1) PutDecayed(s, out);
  if ((mask >> kDays) & 1) PutDays(s, out);
  if ((mask >> kSessions) & 1) PutSessions(s, out);
  if ((mask >> kPurchases) & 1) PutPurchases(s, out);
  if ((mask >> kFeedback) & 1) PutFeedback(s, out);
  if ((mask >> kChurn) & 1) PutChurn(s, out);
}

}  // namespace state
