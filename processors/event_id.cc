#include "processors/event_id.h"

#include <cstdint>

#include "fmt/format.h"

namespace processors {
namespace {

constexpr uint64_t kFnvPrime = 0x100000001b3ULL;
constexpr uint64_t kSeedHigh = 0xcbf29ce484222325ULL;  // FNV-1a offset basis
constexpr uint64_t kSeedLow = 0x84222325cbf29ce4ULL;

// splitmix64's finaliser: spreads FNV's weak low bits over the whole word.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void Feed(uint64_t& h, std::string_view bytes) {
  for (const char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= kFnvPrime;
  }
}

}  // namespace

std::string DeterministicId(std::initializer_list<std::string_view> parts) {
  uint64_t hi = kSeedHigh;
  uint64_t lo = kSeedLow;
  for (std::string_view p : parts) {
    const std::string len = fmt::format("{}:", p.size());
    Feed(hi, len);
    Feed(hi, p);
    Feed(lo, p);
    Feed(lo, len);
  }
  return fmt::format("{:016x}{:016x}", Mix(hi), Mix(lo ^ hi));
}

}  // namespace processors
