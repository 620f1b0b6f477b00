#include "processors/churn/risk_event.h"

#include <array>
#include <cmath>

#include "processors/event_id.h"
#include "processors/json_writer.h"
#include "processors/timestamp.h"

namespace processors::churn {
namespace {

// Scores are written to 6 decimals: enough for any decision, and stable in text.
double Rounded(double v) { return std::round(v * 1e6) / 1e6; }

void NumberOrNull(JsonWriter& w, double v) {
  if (std::isfinite(v)) {
    w.Value(Rounded(v));
  } else {
    w.Null();
  }
}

struct Driver {
  std::string_view name;
  double value;
  double contribution;
};

}  // namespace

std::string ChurnRiskEventId(const ChurnRiskChange& c) {
  const std::string at = std::to_string(c.changed_at.value());
  const std::string count = std::to_string(c.events_total);
  return DeterministicId({kChurnRiskSchema, c.customer_id, ChurnBandName(c.previous_band),
                          ChurnBandName(c.band), at, count});
}

void WriteChurnRiskJson(const ChurnRiskChange& c, std::string* out) {
  const ChurnScore& s = *c.score;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("schema").BeginObject();
  w.Key("name").Value(kChurnRiskSchema).Key("version").Value(kChurnRiskSchemaVersion);
  w.EndObject();
  w.Key("event_id").Value(ChurnRiskEventId(c));
  w.Key("customer_id").Value(c.customer_id);
  w.Key("risk").Value(Rounded(s.risk));
  w.Key("band").Value(ChurnBandName(c.band));
  w.Key("previous_band").StringOrNull(ChurnBandName(c.previous_band));
  w.Key("p_alive");
  NumberOrNull(w, s.p_alive);
  w.Key("expected_purchases_30d");
  NumberOrNull(w, c.expected_purchases_30d);
  w.Key("days_since_last_activity").Value(Rounded(s.days_since_activity));
  w.Key("basis").Value(ChurnBasisName(s.basis));
  w.Key("model");
  if (s.model == nullptr) {
    w.Null();
  } else {
    const ChurnModel& m = *s.model;
    w.BeginObject();
    w.Key("name").Value("bgnbd");
    w.Key("r").Value(m.params.r).Key("alpha").Value(m.params.alpha);
    w.Key("a").Value(m.params.a).Key("b").Value(m.params.b);
    w.Key("time_unit").Value(TimeUnitName(m.unit));
    w.Key("fitted_at").StringOrNull(m.fitted_at);
    w.EndObject();
  }
  // The terms of the risk, largest first: what to act on.
  std::array<Driver, 2> drivers = {{
      {"p_alive", s.p_alive, s.p_alive_term},
      {"days_since_last_activity", s.days_since_activity, s.inactivity_term},
  }};
  if (drivers[1].contribution > drivers[0].contribution) std::swap(drivers[0], drivers[1]);
  w.Key("drivers").BeginArray();
  for (const Driver& d : drivers) {
    if (s.model == nullptr && d.name == "p_alive") continue;
    w.BeginObject();
    w.Key("name").Value(d.name);
    w.Key("value");
    NumberOrNull(w, d.value);
    w.Key("contribution").Value(Rounded(d.contribution));
    w.EndObject();
  }
  w.EndArray();
  w.Key("changed_at").Value(FormatIso8601(c.changed_at));
  w.Key("detected_at").Value(FormatIso8601(c.detected_at));
  w.EndObject();
}

}  // namespace processors::churn
