#pragma once

// LEB128 varints, zig-zag encoding and little-endian fixed-width values for the state
// codec. Header-only; pure.

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace state {

// Appends in one call: the encoder's cost is mostly std::string's per-call checks.
inline void PutVarint64(uint64_t v, std::string* out) {
  constexpr uint64_t kMore = 0x80;
  constexpr size_t kMaxBytes = 10;
  if (v < kMore) {
    out->push_back(static_cast<char>(v));
    return;
  }
  char buf[kMaxBytes];
  size_t n = 0;
  while (v >= kMore) {
    buf[n++] = static_cast<char>(v | kMore);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline void PutSigned(int64_t v, std::string* out) { PutVarint64(ZigZag(v), out); }

// Little-endian fixed 64 and 32 bits (the bit patterns of doubles and floats).
inline void PutFixed64(uint64_t v, std::string* out) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  out->append(buf, sizeof(buf));
}
inline void PutFixed32(uint32_t v, std::string* out) {
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  out->append(buf, sizeof(buf));
}
inline void PutDouble(double v, std::string* out) { PutFixed64(std::bit_cast<uint64_t>(v), out); }

inline void PutBytes(std::string_view b, std::string* out) {
  PutVarint64(b.size(), out);
  out->append(b);
}

// Reads values from the front of a byte string; every getter returns nullopt when the
// input is truncated or malformed.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  std::optional<uint64_t> Varint64() {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63 && !in_.empty(); shift += 7) {
      const auto byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      result |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return result;
    }
    return std::nullopt;
  }
  std::optional<int64_t> Signed() {
    auto v = Varint64();
    if (!v) return std::nullopt;
    return UnZigZag(*v);
  }
  std::optional<std::string_view> Bytes() {
    auto n = Varint64();
    if (!n || *n > in_.size()) return std::nullopt;
    std::string_view out = in_.substr(0, *n);
    in_.remove_prefix(*n);
    return out;
  }
  std::optional<uint64_t> Fixed64() { return Fixed<uint64_t, 8>(); }
  std::optional<uint32_t> Fixed32() { return Fixed<uint32_t, 4>(); }
  std::optional<double> Double() {
    auto v = Fixed64();
    if (!v) return std::nullopt;
    return std::bit_cast<double>(*v);
  }
  std::optional<uint8_t> Byte() {
    if (in_.empty()) return std::nullopt;
    const auto b = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    return b;
  }
  bool empty() const { return in_.empty(); }
  // The bytes not read yet.
  std::string_view rest() const { return in_; }

 private:
  template <typename T, size_t N>
  std::optional<T> Fixed() {
    if (in_.size() < N) return std::nullopt;
    T v = 0;
    for (size_t i = 0; i < N; ++i) v |= static_cast<T>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(N);
    return v;
  }

  std::string_view in_;
};

}  // namespace state
