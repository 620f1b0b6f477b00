#include "processors/quantile_sketch.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <utility>

namespace processors {
namespace {

// Level capacities shrink by this factor per level below the top (KLL's c = 2/3).
constexpr double kCapacityDecay = 2.0 / 3.0;
// No level holds fewer than this many values (KLL's m).
constexpr size_t kMinCapacity = 2;

}  // namespace

QuantileSketch::QuantileSketch(int k, uint64_t seed) : k_(k), rng_(seed | 1) {
  assert(k >= 8);
  levels_.emplace_back();
  max_retained_ = Capacity(0);
}

size_t QuantileSketch::Capacity(size_t level) const {
  const size_t depth = levels_.size() - 1 - level;
  const double c = std::ceil(k_ * std::pow(kCapacityDecay, static_cast<double>(depth)));
  return std::max(kMinCapacity, static_cast<size_t>(c));
}

size_t QuantileSketch::retained() const {
  size_t n = 0;
  for (const auto& l : levels_) n += l.size();
  return n;
}

uint64_t QuantileSketch::NextRandom() {
  // xorshift64*: fast, deterministic, good enough for coin flips.
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  return rng_ * 0x2545F4914F6CDD1DULL;
}

void QuantileSketch::Add(double v) {
  if (std::isnan(v)) return;
  levels_[0].push_back(v);
  ++n_;
  CompressIfFull();
}

void QuantileSketch::CompressIfFull() {
  while (retained() > max_retained_) {
    for (size_t h = 0; h < levels_.size(); ++h) {
      if (levels_[h].size() >= Capacity(h)) {
        CompactLevel(h);
        break;
      }
    }
  }
}

// Sorts level h and promotes every other value (odd or even positions, by a coin) to
// level h + 1 with twice the weight; an odd leftover stays.
void QuantileSketch::CompactLevel(size_t h) {
  if (h + 1 == levels_.size()) levels_.emplace_back();
  std::vector<double>& level = levels_[h];
  std::sort(level.begin(), level.end());
  double leftover = 0;
  const bool odd = level.size() % 2 == 1;
  if (odd) {
    leftover = level.back();
    level.pop_back();
  }
  const size_t offset = NextRandom() >> 63;
  std::vector<double>& up = levels_[h + 1];
  for (size_t i = offset; i < level.size(); i += 2) up.push_back(level[i]);
  level.clear();
  if (odd) level.push_back(leftover);
  max_retained_ = 0;
  for (size_t l = 0; l < levels_.size(); ++l) max_retained_ += Capacity(l);
}

void QuantileSketch::Merge(const QuantileSketch& other) {
  assert(other.k_ == k_);
  while (levels_.size() < other.levels_.size()) levels_.emplace_back();
  for (size_t h = 0; h < other.levels_.size(); ++h) {
    levels_[h].insert(levels_[h].end(), other.levels_[h].begin(), other.levels_[h].end());
  }
  n_ += other.n_;
  max_retained_ = 0;
  for (size_t l = 0; l < levels_.size(); ++l) max_retained_ += Capacity(l);
  CompressIfFull();
}

double QuantileSketch::Quantile(double q) const {
  assert(n_ > 0);
  std::vector<std::pair<double, uint64_t>> weighted;
  weighted.reserve(retained());
  for (size_t h = 0; h < levels_.size(); ++h) {
    for (const double v : levels_[h]) weighted.emplace_back(v, uint64_t{1} << h);
  }
  std::sort(weighted.begin(), weighted.end());
  uint64_t total = 0;
  for (const auto& [v, w] : weighted) total += w;
  const double target = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  uint64_t cumulative = 0;
  for (const auto& [v, w] : weighted) {
    cumulative += w;
    if (static_cast<double>(cumulative) >= target) return v;
  }
  return weighted.back().first;
}

double QuantileSketch::Rank(double v) const {
  uint64_t below = 0, total = 0;
  for (size_t h = 0; h < levels_.size(); ++h) {
    for (const double x : levels_[h]) {
      total += uint64_t{1} << h;
      if (x <= v) below += uint64_t{1} << h;
    }
  }
  return total == 0 ? 0 : static_cast<double>(below) / static_cast<double>(total);
}

double QuantileSketch::MidRank(double v) const {
  uint64_t below = 0, equal = 0, total = 0;
  for (size_t h = 0; h < levels_.size(); ++h) {
    const uint64_t w = uint64_t{1} << h;
    for (const double x : levels_[h]) {
      total += w;
      if (x < v) below += w;
      if (x == v) equal += w;
    }
  }
  if (total == 0) return 0;
  return (static_cast<double>(below) + static_cast<double>(equal) / 2) / static_cast<double>(total);
}

}  // namespace processors
