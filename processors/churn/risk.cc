#include "processors/churn/risk.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "fmt/format.h"
#include "processors/decay.h"

namespace processors::churn {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMsPerDay = static_cast<double>(state::kMsPerDay);
constexpr double kExpectationDays = 30;

ops::Status Invalid(std::string_view member, std::string_view what) {
  return ops::Status::InvalidArgument(fmt::format("model member \"{}\" {}", member, what));
}

// The (x, t_x, T) of a history whose events (purchase days or session starts) number
// `count`, the first at `first` and the latest at `last`, observed until `now`.
CustomerSummary Summarise(int64_t count, state::TimeMs first, state::TimeMs last, state::TimeMs now,
                          TimeUnit unit) {
  const double ms_per_unit = kMsPerDay * DaysPerUnit(unit);
  CustomerSummary s;
  s.x = std::max<int64_t>(0, count - 1);
  s.T = std::max(0.0, static_cast<double>(now.value() - first.value()) / ms_per_unit);
  s.t_x = s.x == 0 ? 0
                   : std::clamp(static_cast<double>(last.value() - first.value()) / ms_per_unit,
                                0.0, s.T);
  return s;
}

}  // namespace

ops::Result<ChurnModel> ParseChurnModel(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  if (auto error = parser.parse(padded).get(doc); error) {
    return ops::Status::InvalidArgument(
        fmt::format("model is not JSON: {}", simdjson::error_message(error)));
  }
  simdjson::dom::object o;
  if (doc.get_object().get(o)) return ops::Status::InvalidArgument("model is not a JSON object");
  std::string_view name;
  if (o["model"].get_string().get(name)) return Invalid("model", "is missing or not a string");
  if (name != "bgnbd") return Invalid("model", fmt::format("is \"{}\", not \"bgnbd\"", name));
  ChurnModel m;
  const std::pair<const char*, double*> params[] = {
      {"r", &m.params.r}, {"alpha", &m.params.alpha}, {"a", &m.params.a}, {"b", &m.params.b}};
  for (const auto& [key, out] : params) {
    if (o[key].get_double().get(*out)) return Invalid(key, "is missing or not a number");
    if (!(std::isfinite(*out) && *out > 0)) return Invalid(key, "must be positive and finite");
  }
  std::string_view unit;
  if (o["time_unit"].get_string().get(unit)) {
    return Invalid("time_unit", "is missing or not a string");
  }
  const auto parsed = ParseTimeUnit(unit);
  if (!parsed) return Invalid("time_unit", fmt::format("is \"{}\", not days or weeks", unit));
  m.unit = *parsed;
  std::string_view text;
  if (!o["fitted_at"].get_string().get(text)) m.fitted_at = std::string(text);
  if (!o["calibration_end"].get_string().get(text)) m.calibration_end = std::string(text);
  return m;
}

std::optional<CustomerSummary> SummaryFromState(const state::CustomerState& s, ChurnBasis basis,
                                                int64_t calibration_end_day, TimeUnit unit) {
  int64_t count = 0;
  state::TimeMs first, last;
  if (basis == ChurnBasis::kPurchases) {
    count = s.purchases.distinct_days;
    first = s.purchases.first;
    last = s.purchases.last;
  } else if (basis == ChurnBasis::kSessions) {
    count = s.sessions.count;
    first = s.first_seen;
    last = s.sessions.start;
  }
  if (count <= 0 || processors::UtcDay(last) > calibration_end_day) return std::nullopt;
  const int64_t first_day = processors::UtcDay(first);
  const double days_per_unit = DaysPerUnit(unit);
  CustomerSummary out;
  out.x = count - 1;
  out.T = static_cast<double>(calibration_end_day - first_day) / days_per_unit;
  out.t_x =
      out.x == 0 ? 0 : static_cast<double>(processors::UtcDay(last) - first_day) / days_per_unit;
  return out;
}

std::string_view ChurnBasisName(ChurnBasis basis) {
  switch (basis) {
    case ChurnBasis::kPurchases:
      return "purchases";
    case ChurnBasis::kSessions:
      return "sessions";
    case ChurnBasis::kInactivity:
      return "inactivity";
  }
  return "inactivity";
}

std::string_view ChurnBandName(state::ChurnBand band) {
  switch (band) {
    case state::ChurnBand::kNone:
      return "";
    case state::ChurnBand::kLow:
      return "low";
    case state::ChurnBand::kMedium:
      return "medium";
    case state::ChurnBand::kHigh:
      return "high";
  }
  return "";
}

namespace {

state::ChurnBand RawBand(double risk, const ChurnOptions& o) {
  if (risk >= o.high) return state::ChurnBand::kHigh;
  if (risk >= o.medium) return state::ChurnBand::kMedium;
  return state::ChurnBand::kLow;
}

}  // namespace

state::ChurnBand NextChurnBand(state::ChurnBand current, double risk, const ChurnOptions& o) {
  const state::ChurnBand up = RawBand(risk, o);
  if (current == state::ChurnBand::kNone || up > current) return up;
  const state::ChurnBand down = RawBand(risk + o.hysteresis, o);
  return down < current ? down : current;
}

ChurnScorer::ChurnScorer(ChurnOptions options, std::shared_ptr<const ChurnModel> purchases,
                         std::shared_ptr<const ChurnModel> sessions)
    : options_(std::move(options)),
      purchases_(std::move(purchases)),
      sessions_(std::move(sessions)) {}

ChurnScore ChurnScorer::Score(const state::CustomerState& s, state::TimeMs now) const {
  ChurnScore out;
  const double silence_ms =
      static_cast<double>(std::max<int64_t>(0, now.value() - s.last_seen.value()));
  out.days_since_activity = silence_ms / kMsPerDay;
  out.engagement_left = std::exp2(
      -silence_ms / static_cast<double>(std::max<int64_t>(1, options_.inactivity_half_life_ms)));
  if (s.purchases.distinct_days > 0 && purchases_ != nullptr) {
    out.basis = ChurnBasis::kPurchases;
    out.model = purchases_.get();
    out.summary = Summarise(s.purchases.distinct_days, s.purchases.first, s.purchases.last, now,
                            purchases_->unit);
  } else if (s.sessions.count > 0 && sessions_ != nullptr) {
    out.basis = ChurnBasis::kSessions;
    out.model = sessions_.get();
    out.summary = Summarise(s.sessions.count, s.first_seen, s.sessions.start, now, sessions_->unit);
  }
  double alive = 1;  // no model: inactivity alone
  if (out.model == nullptr) {
    out.p_alive = kNaN;
  } else {
    out.p_alive = ProbabilityAlive(out.model->params, out.summary);
    if (!std::isfinite(out.p_alive)) out.p_alive = 1;  // invalid history: no evidence
    alive = out.p_alive;
  }
  out.p_alive_term = 1 - alive;
  out.inactivity_term = alive * (1 - out.engagement_left);
  out.risk = std::clamp(out.p_alive_term + out.inactivity_term, 0.0, 1.0);
  return out;
}

double ChurnScorer::ExpectedPurchases30d(const ChurnScore& score) const {
  if (score.basis != ChurnBasis::kPurchases || score.model == nullptr) return kNaN;
  const double t = kExpectationDays / DaysPerUnit(score.model->unit);
  return ConditionalExpectedTransactions(score.model->params, score.summary, t);
}

}  // namespace processors::churn
