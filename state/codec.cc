#include "state/codec.h"

#include "fmt/format.h"
#include "state/varint.h"

namespace state {
namespace {

// Version 1: version byte, then first_seen, last_seen (zig-zag varint ms, the latter as
// a delta from first_seen), events_total (varint), segment (length-prefixed bytes),
// segment_entered_at (zig-zag varint ms).
ops::Result<CustomerState> DecodeV1(ByteReader& r) {
  CustomerState s;
  auto first = r.Signed();
  auto last_delta = r.Signed();
  auto events = r.Varint64();
  auto segment = r.Bytes();
  auto entered = r.Signed();
  if (!first || !last_delta || !events || !segment || !entered) {
    return ops::Status::Corruption("customer state v1 is truncated");
  }
  if (!r.empty()) return ops::Status::Corruption("customer state v1 has trailing bytes");
  s.first_seen = TimeMs(*first);
  s.last_seen = TimeMs(*first + *last_delta);
  s.events_total = static_cast<int64_t>(*events);
  s.segment = std::string(*segment);
  s.segment_entered_at = TimeMs(*entered);
  return s;
}

}  // namespace

void EncodeCustomer(const CustomerState& s, std::string* out) {
  out->push_back(static_cast<char>(kCustomerCodecVersion));
  PutSigned(s.first_seen.value(), out);
  PutSigned(s.last_seen.value() - s.first_seen.value(), out);
  PutVarint64(static_cast<uint64_t>(s.events_total), out);
  PutBytes(s.segment, out);
  PutSigned(s.segment_entered_at.value(), out);
}

ops::Result<CustomerState> DecodeCustomer(std::string_view bytes) {
  ByteReader r(bytes);
  auto version = r.Byte();
  if (!version) return ops::Status::Corruption("customer state is empty");
  switch (*version) {
    case 1:
      return DecodeV1(r);
    default:
      return ops::Status::Corruption(
          fmt::format("customer state has codec version {}, newer than this binary knows ({})",
                      *version, kCustomerCodecVersion));
  }
}

}  // namespace state
