// Churn-risk events validate against schemas/churn-risk.v1.json: required members, no
// others, each member's JSON type, plus the enums, ranges and nested objects checked
// here. The golden replay's events are checked too.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "processors/churn/risk_event.h"
#include "tests/testutil/files.h"
#include "tests/testutil/json_schema.h"

namespace processors::churn {
namespace {

class ChurnRiskSchemaTest : public testing::Test {
 protected:
  std::vector<std::string> Violations(const std::string& json) {
    std::vector<std::string> out = checker_.Violations(json);
    if (checker_.last() != nullptr) CheckDetails(*checker_.last(), out);
    return out;
  }

  static bool OneOf(std::string_view v, std::initializer_list<std::string_view> allowed) {
    return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
  }

  static void CheckDetails(const simdjson::dom::object& e, std::vector<std::string>& out) {
    std::string_view s;
    double d = 0;
    if (e["band"].get(s) || !OneOf(s, {"low", "medium", "high"})) out.push_back("band");
    if (!e["previous_band"].is_null() &&
        (e["previous_band"].get(s) || !OneOf(s, {"low", "medium", "high"}))) {
      out.push_back("previous_band");
    }
    if (e["basis"].get(s) || !OneOf(s, {"purchases", "sessions", "inactivity"})) {
      out.push_back("basis");
    }
    if (e["risk"].get(d) || d < 0 || d > 1) out.push_back("risk range");
    if (!e["p_alive"].is_null() && (e["p_alive"].get(d) || d < 0 || d > 1)) {
      out.push_back("p_alive range");
    }
    if (e["event_id"].get(s) || s.size() != 32 ||
        s.find_first_not_of("0123456789abcdef") != s.npos) {
      out.push_back("event_id pattern");
    }
    if (e["schema"]["name"].get(s) || s != kChurnRiskSchema) out.push_back("schema name");
    simdjson::dom::object model;
    if (e["model"].get(model) == simdjson::SUCCESS) {
      for (const char* key : {"name", "r", "alpha", "a", "b", "time_unit", "fitted_at"}) {
        if (model[key].error()) out.push_back(std::string("model.") + key);
      }
      if (model.size() != 7) out.push_back("model has other members");
    } else if (!e["model"].is_null()) {
      out.push_back("model type");
    }
    simdjson::dom::array drivers;
    if (e["drivers"].get(drivers)) {
      out.push_back("drivers type");
      return;
    }
    double previous = 2;
    for (simdjson::dom::element driver : drivers) {
      if (driver["name"].get(s) || !OneOf(s, {"p_alive", "days_since_last_activity"})) {
        out.push_back("driver name");
      }
      if (driver["contribution"].get(d) || d < 0 || d > 1 || d > previous) {
        out.push_back("driver contribution order");
      }
      previous = d;
    }
  }

  testutil::SchemaChecker checker_{"schemas/churn-risk.v1.json"};
};

TEST_F(ChurnRiskSchemaTest, EventsFromTheWriterValidate) {
  ChurnModel model;
  model.params = {0.24, 4.4, 0.79, 2.4};
  const ChurnScorer with(ChurnOptions{}, std::make_shared<const ChurnModel>(model), nullptr);
  const ChurnScorer without(ChurnOptions{}, nullptr, nullptr);
  state::CustomerState s;
  s.first_seen = state::TimeMs(0);
  s.last_seen = state::TimeMs(21 * state::kMsPerDay);
  s.purchases = {50, 2, state::TimeMs(0), s.last_seen, 3, 2, 2};
  for (const ChurnScorer* scorer : {&with, &without}) {
    const ChurnScore score = scorer->Score(s, state::TimeMs(60 * state::kMsPerDay));
    const ChurnRiskChange c{.customer_id = "c1",
                            .previous_band = state::ChurnBand::kNone,
                            .band = state::ChurnBand::kHigh,
                            .score = &score,
                            .expected_purchases_30d = scorer->ExpectedPurchases30d(score),
                            .changed_at = state::TimeMs(60 * state::kMsPerDay),
                            .detected_at = state::TimeMs(1709632801500),
                            .events_total = 5};
    std::string out;
    WriteChurnRiskJson(c, &out);
    EXPECT_EQ(Violations(out), std::vector<std::string>{}) << out;
  }
}

TEST_F(ChurnRiskSchemaTest, TheCheckRejectsABrokenEvent) {
  const std::vector<std::string> v = Violations(
      R"({"schema":{"name":"engaged.churn_risk","version":1},"event_id":"xyz","customer_id":"c",)"
      R"("risk":1.5,"band":"severe","previous_band":null,"p_alive":null,)"
      R"("expected_purchases_30d":null,"days_since_last_activity":3,"basis":"inactivity",)"
      R"("model":null,"drivers":[],"changed_at":"t","detected_at":"t","extra":1})");
  EXPECT_EQ(v.size(), 4u) << testing::PrintToString(v);  // extra, band, risk, event_id
}

TEST_F(ChurnRiskSchemaTest, GoldenReplayOutputsValidate) {
  const std::string path =
      std::string(ENGAGED_SOURCE_DIR) + "/tests/topologies/golden/churn/expected/churn-risk.ndjson";
  std::istringstream lines(testutil::ReadFile(path));
  int n = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    ++n;
    EXPECT_EQ(Violations(line), std::vector<std::string>{}) << line;
  }
  EXPECT_GT(n, 0) << path;
}

}  // namespace
}  // namespace processors::churn
