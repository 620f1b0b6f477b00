#include "topologies/clickstream_gen.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>
#include <tuple>
#include <utility>

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

// How sessions start: landing on the site or app, or from an email or a search.
constexpr std::array<TypeWeight, 4> kEntryMix = {{
    {"page_view", 60},
    {"app_open", 20},
    {"email_open", 10},
    {"search", 10},
}};

template <size_t N>
std::discrete_distribution<size_t> MakeDist(const std::array<TypeWeight, N>& mix) {
  std::vector<double> w;
  w.reserve(mix.size());
  for (const auto& t : mix) w.push_back(t.weight);
  return std::discrete_distribution<size_t>(w.begin(), w.end());
}

constexpr double kMaxRevenue = 250.0;
constexpr int kMaxRating = 5;
constexpr int kMaxNps = 10;

}  // namespace

ClickstreamGenerator::ClickstreamGenerator(ClickstreamOptions options)
    : options_(std::move(options)), rng_(options_.seed) {
  sessions_.resize(static_cast<size_t>(std::max(0, options_.concurrent_sessions)));
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

std::pair<int64_t, bool> ClickstreamGenerator::NextCustomer() {
  if (sessions_.empty()) return {PickCustomer(), false};
  Session& s = sessions_[std::uniform_int_distribution<size_t>(0, sessions_.size() - 1)(rng_)];
  const bool opens = s.remaining == 0;
  if (opens) {
    s.customer = PickCustomer();
    // 1 + Geometric(p) events, whose mean is 1 + (1 - p) / p = session_events_mean.
    const double p = 1.0 / std::max(1.0, options_.session_events_mean);
    s.remaining = 1 + std::geometric_distribution<int64_t>(p)(rng_);
  }
  --s.remaining;
  return {s.customer, opens};
}

const std::string& ClickstreamGenerator::Next(std::string* customer_id) {
  return Next(customer_id,
              state::TimeMs(options_.start.value() + sequence_ * options_.interval_ms));
}

const std::string& ClickstreamGenerator::Next(std::string* customer_id, state::TimeMs ts) {
  static const std::discrete_distribution<size_t> kTypeDist = MakeDist(kMix);
  static const std::discrete_distribution<size_t> kEntryDist = MakeDist(kEntryMix);
  // Sessions off: the type is drawn before the customer, as it always was, so that
  // `engaged gen` keeps its output for a seed.
  std::string_view type;
  bool opens = false;
  if (sessions_.empty()) {
    auto type_dist = kTypeDist;
    type = kMix[type_dist(rng_)].type;
    *customer_id = fmt::format("{}{}", options_.customer_prefix, PickCustomer());
  } else {
    int64_t customer = 0;
    std::tie(customer, opens) = NextCustomer();
    *customer_id = fmt::format("{}{}", options_.customer_prefix, customer);
    auto type_dist = opens ? kEntryDist : kTypeDist;
    type = opens ? kEntryMix[type_dist(rng_)].type : kMix[type_dist(rng_)].type;
  }
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
