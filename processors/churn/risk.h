#pragma once

// Churn risk per customer (docs/churn-model.md, "Churn risk at run time"):
//   risk = 1 − P(alive) · 2^(−silence / inactivity_half_life)
// the probability that the customer is NOT both alive (BG/NBD) and still engaged (the
// share of their engagement left since their last activity, as a forward-decayed
// counter sees it), and a band (low / medium / high) with hysteresis, so that a risk
// hovering at a threshold does not flap.
//
// Models are read from the JSON that `engaged fit` prints. A ChurnScorer is immutable
// after construction and thread-safe; pure functions otherwise.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ops/status.h"
#include "processors/churn/bgnbd.h"
#include "processors/churn/transactions.h"
#include "state/customer_state.h"
#include "state/types.h"

namespace processors::churn {

// The `churn:` section of the config.
struct ChurnOptions {
  // The model of purchases, as printed by `engaged fit`. Empty: churn risk is off.
  // Default empty.
  std::string model_file;
  // An optional model of sessions (fitted on session starts), used for customers who
  // never bought. Empty: those customers are scored on inactivity alone. Default empty.
  std::string session_model_file;
  // Half-life of the engagement left after the last activity: after this much silence
  // the inactivity term is 0.5. Default 1209600000 (14 days). Unit: ms.
  int64_t inactivity_half_life_ms = 14 * state::kMsPerDay;
  // A risk at or above `medium` is band medium, at or above `high` band high.
  // Defaults 0.5 and 0.8. Unit: risk (0 to 1; medium < high).
  double medium = 0.5;
  double high = 0.8;
  // A customer moves down a band only once the risk is this far below the band's
  // threshold. Default 0.05. Unit: risk.
  double hysteresis = 0.05;
};

// One fitted model.
struct ChurnModel {
  BgNbdParams params;
  TimeUnit unit = TimeUnit::kWeeks;
  std::string fitted_at{};        // ISO-8601 as printed by `engaged fit`; may be empty
  std::string calibration_end{};  // YYYY-MM-DD; may be empty
};

// Parses the JSON printed by `engaged fit`. Errors: InvalidArgument naming the member.
ops::Result<ChurnModel> ParseChurnModel(std::string_view json);

// Which history fed P(alive).
enum class ChurnBasis : uint8_t {
  kPurchases,   // the purchase model over purchase days
  kSessions,    // the session model over sessions
  kInactivity,  // no model applies: inactivity alone
};
std::string_view ChurnBasisName(ChurnBasis basis);

// The calibration summary of a customer's state for fitting (`engaged fit
// --state-dir`): day-granular like the summaries of a transaction log, from the first
// purchase (or the first event, for sessions) to the end of `calibration_end_day`.
// nullopt when the customer has no history of that basis, or some of it after the
// calibration end (the state cannot tell what came before it).
std::optional<CustomerSummary> SummaryFromState(const state::CustomerState& s, ChurnBasis basis,
                                                int64_t calibration_end_day, TimeUnit unit);

struct ChurnScore {
  double risk = 0;                 // 0–1
  double p_alive = 1;              // NaN when basis is kInactivity
  double engagement_left = 1;      // 2^(−silence / half-life), 0–1
  double days_since_activity = 0;  // since last_seen, days
  double p_alive_term = 0;         // the part of `risk` due to P(alive)
  double inactivity_term = 0;      // the part of `risk` due to inactivity
  ChurnBasis basis = ChurnBasis::kInactivity;
  const ChurnModel* model = nullptr;  // the model used; nullptr for kInactivity
  CustomerSummary summary;            // (x, t_x, T) in the model's unit; zero for kInactivity
};

std::string_view ChurnBandName(state::ChurnBand band);  // "low", ...; "" for kNone

// The band after `current` for `risk`: up at once when a higher threshold is reached,
// down only when the risk is `hysteresis` below the current band's threshold.
state::ChurnBand NextChurnBand(state::ChurnBand current, double risk, const ChurnOptions& o);

class ChurnScorer {
 public:
  // Either model may be null.
  ChurnScorer(ChurnOptions options, std::shared_ptr<const ChurnModel> purchases,
              std::shared_ptr<const ChurnModel> sessions);

  // The risk of `s` at `now` (event time, >= s.last_seen).
  ChurnScore Score(const state::CustomerState& s, state::TimeMs now) const;
  // E[purchases in the next 30 days] for a score with basis kPurchases; NaN otherwise.
  double ExpectedPurchases30d(const ChurnScore& score) const;

  const ChurnOptions& options() const { return options_; }
  const ChurnModel* purchases() const { return purchases_.get(); }
  const ChurnModel* sessions() const { return sessions_.get(); }

 private:
  ChurnOptions options_;
  std::shared_ptr<const ChurnModel> purchases_;
  std::shared_ptr<const ChurnModel> sessions_;
};

}  // namespace processors::churn
