#include "topologies/clickstream_gen.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include "fmt/format.h"
#include "processors/timestamp.h"

namespace topologies {
namespace {

struct TypeWeight {
  std::string_view type;
  double weight;  // relative frequency
};

// Roughly the shape of an e-commerce site's clickstream.
constexpr std::array<TypeWeight, 14> kMix = {{
    {"page_view", 40},
    {"product_view", 20},
    {"click", 10},
    {"impression", 10},
    {"search", 5},
    {"add_to_cart", 4},
    {"email_open", 3},
    {"app_open", 1.5},
    {"like", 2},
    {"share", 1},
    {"purchase", 2},
    {"review", 1},
    {"survey", 0.5},
    {"email_delivered", 4},
}};

constexpr double kMaxRevenue = 250.0;
constexpr int kMaxRating = 5;
constexpr int kMaxNps = 10;

}  // namespace

ClickstreamGenerator::ClickstreamGenerator(ClickstreamOptions options)
    : options_(options), rng_(options.seed) {
  cdf_.reserve(static_cast<size_t>(options_.customers));
  double sum = 0;
  for (int64_t i = 1; i <= options_.customers; ++i) {
    sum += 1.0 / std::pow(static_cast<double>(i), options_.zipf_s);
    cdf_.push_back(sum);
  }
}

int64_t ClickstreamGenerator::PickCustomer() {
  std::uniform_real_distribution<double> u(0.0, cdf_.back());
  const double x = u(rng_);
  return std::lower_bound(cdf_.begin(), cdf_.end(), x) - cdf_.begin();
}

const std::string& ClickstreamGenerator::Next(std::string* customer_id) {
  static const std::discrete_distribution<size_t> kTypeDist = [] {
    std::vector<double> w;
    w.reserve(kMix.size());
    for (const auto& t : kMix) w.push_back(t.weight);
    return std::discrete_distribution<size_t>(w.begin(), w.end());
  }();
  auto type_dist = kTypeDist;
  const std::string_view type = kMix[type_dist(rng_)].type;
  *customer_id = fmt::format("cust-{}", PickCustomer());
  const state::TimeMs ts(options_.start.value() + sequence_ * options_.interval_ms);
  out_.clear();
  fmt::format_to(std::back_inserter(out_),
                 R"({{"event_id":"gen-{}-{}","customer_id":"{}","type":"{}","ts":"{}")",
                 options_.seed, sequence_, *customer_id, type, processors::FormatIso8601(ts));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (type == "purchase") {
    fmt::format_to(std::back_inserter(out_), R"(,"revenue":{:.2f},"currency":"EUR")",
                   unit(rng_) * kMaxRevenue);
  } else if (type == "review") {
    fmt::format_to(std::back_inserter(out_), R"(,"rating":{})",
                   1 + static_cast<int>(unit(rng_) * kMaxRating) % kMaxRating);
  } else if (type == "survey") {
    fmt::format_to(std::back_inserter(out_), R"(,"survey_type":"nps","score":{})",
                   static_cast<int>(unit(rng_) * (kMaxNps + 1)) % (kMaxNps + 1));
  }
  out_.push_back('}');
  ++sequence_;
  return out_;
}

}  // namespace topologies
