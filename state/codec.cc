#include "state/codec.h"

#include "fmt/format.h"
#include "state/codec_io.h"
#include "state/varint.h"

namespace state {
namespace {

// The fields both versions share, in this order: first_seen (zig-zag varint ms),
// last_seen − first_seen (zig-zag), events_total (varint), segment (length-prefixed
// bytes), segment_entered_at (zig-zag ms).
void PutHeader(const CustomerState& s, std::string* out) {
  PutSigned(s.first_seen.value(), out);
  PutSigned(s.last_seen.value() - s.first_seen.value(), out);
  PutVarint64(static_cast<uint64_t>(s.events_total), out);
  PutBytes(s.segment, out);
  PutSigned(s.segment_entered_at.value(), out);
}

void GetHeader(CodecIn& in, CustomerState& s) {
  s.first_seen = TimeMs(in.Signed());
  s.last_seen = TimeMs(s.first_seen.value() + in.Signed());
  s.events_total = static_cast<int64_t>(in.Unsigned());
  s.segment = std::string(in.Bytes());
  s.segment_entered_at = TimeMs(in.Signed());
}

// Version 1: the header only. Every later field takes its default.
ops::Result<CustomerState> DecodeV1(ByteReader& r) {
  CodecIn in(r);
  CustomerState s;
  GetHeader(in, s);
  if (!in.ok()) return ops::Status::Corruption("customer state v1 is truncated");
  if (!r.empty()) return ops::Status::Corruption("customer state v1 has trailing bytes");
  return s;
}

// Version 2: the header, then a section mask (varint, bit per Section), then the
// sections present in Section order (state/FORMAT.md spells out each).
ops::Result<CustomerState> DecodeV2(ByteReader& r) {
  CodecIn in(r);
  CustomerState s;
  GetHeader(in, s);
  const uint64_t sections = in.Unsigned();
  if (!in.ok()) return ops::Status::Corruption("customer state v2 is truncated");
  if (sections >> kSectionCount != 0) {
    return ops::Status::Corruption("customer state v2 names an unknown section");
  }
  GetSections(in, sections, s);
  if (!in.ok()) return ops::Status::Corruption("customer state v2 is truncated or malformed");
  if (!r.empty()) return ops::Status::Corruption("customer state v2 has trailing bytes");
  return s;
}

}  // namespace

void EncodeCustomer(const CustomerState& s, std::string* out) {
  out->push_back(static_cast<char>(kCustomerCodecVersion));
  PutHeader(s, out);
  PutSections(s, out);
}

ops::Result<CustomerState> DecodeCustomer(std::string_view bytes) {
  ByteReader r(bytes);
  auto version = r.Byte();
  if (!version) return ops::Status::Corruption("customer state is empty");
  switch (*version) {
    case 1:
      return DecodeV1(r);
    case 2:
      return DecodeV2(r);
    default:
      return ops::Status::Corruption(
          fmt::format("customer state has codec version {}, newer than this binary knows ({})",
                      *version, kCustomerCodecVersion));
  }
}

ops::Result<TimeMs> DecodeLastSeen(std::string_view bytes) {
  ByteReader r(bytes);
  const auto version = r.Byte();
  if (!version || *version == 0 || *version > kCustomerCodecVersion) {
    return ops::Status::Corruption("customer state: unknown or missing codec version");
  }
  const auto first_seen = r.Signed();
  const auto delta = r.Signed();
  if (!first_seen || !delta) return ops::Status::Corruption("customer state is truncated");
  return TimeMs(*first_seen + *delta);
}

}  // namespace state
