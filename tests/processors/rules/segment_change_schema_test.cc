// Produced segment-change events validate against schemas/segment-change.v1.json:
// required fields, no other fields, each field's JSON type, the event-id pattern and the
// schema constants. The check reads the schema file, so a schema change is picked up.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "processors/segment_change.h"
#include "tests/testutil/files.h"
#include "tests/testutil/json_schema.h"

namespace processors {
namespace {

class SegmentChangeSchemaTest : public testing::Test {
 protected:
  // Every violation of the schema by `json`.
  std::vector<std::string> Violations(const std::string& json) {
    std::vector<std::string> out = checker_.Violations(json);
    if (checker_.last() != nullptr) CheckDetails(*checker_.last(), out);
    return out;
  }

  // The constraints beyond types: feature values, event-id pattern, schema constants.
  static void CheckDetails(const simdjson::dom::object& event, std::vector<std::string>& out) {
    simdjson::dom::object features;
    if (event["features"].get(features) == simdjson::SUCCESS) {
      for (auto [key, value] : features) {
        const std::string t = testutil::SchemaChecker::JsonType(value);
        if (t != "number" && t != "string" && t != "null") out.push_back("feature " + t);
      }
    }
    std::string_view id;
    if (event["event_id"].get(id) == simdjson::SUCCESS) {
      const bool hex = id.size() == 32 && id.find_first_not_of("0123456789abcdef") == id.npos;
      if (!hex) out.push_back("event_id pattern");
    }
    std::string_view name;
    int64_t version = 0;
    if (event["schema"]["name"].get(name) != simdjson::SUCCESS || name != kSegmentChangeSchema ||
        event["schema"]["version"].get(version) || version != kSegmentChangeSchemaVersion) {
      out.push_back("schema name/version");
    }
  }

  testutil::SchemaChecker checker_{"schemas/segment-change.v1.json"};
};

TEST_F(SegmentChangeSchemaTest, EventsFromTheWriterValidate) {
  const FeatureValue features[] = {
      {"events_total", 7}, {"days_in_segment", 0.5}, {"nps_latest", std::nan("")}};
  SegmentChange c{.customer_id = "c1",
                  .previous_segment = "",
                  .segment = "active",
                  .rule = "events_total >= 3 and days_in_segment < 1",
                  .changed_at = state::TimeMs(1709632800000),
                  .detected_at = state::TimeMs(1709632801500),
                  .events_total = 7,
                  .features = features};
  std::string out;
  WriteSegmentChangeJson(c, &out);
  EXPECT_EQ(Violations(out), std::vector<std::string>{}) << out;
  c.previous_segment = "active";
  c.segment = "";
  c.features = {};
  out.clear();
  WriteSegmentChangeJson(c, &out);
  EXPECT_EQ(Violations(out), std::vector<std::string>{}) << out;
}

TEST_F(SegmentChangeSchemaTest, TheCheckRejectsABrokenEvent) {
  // The control: the checker is not vacuous.
  const std::vector<std::string> v =
      Violations(R"({"schema":{"name":"engaged.segment_change","version":1},"event_id":"xyz",)"
                 R"("customer_id":"c","segment":3,"changed_at":"t","detected_at":"t","rule":"r",)"
                 R"("features":{"a":[1]},"extra":1})");
  EXPECT_EQ(v.size(), 5u) << testing::PrintToString(v);
}

TEST_F(SegmentChangeSchemaTest, GoldenReplayOutputsValidate) {
  for (const char* golden : {"basic", "hysteresis", "lifecycle"}) {
    const std::string path = std::string(ENGAGED_SOURCE_DIR) + "/tests/topologies/golden/" +
                             golden + "/expected/segment-changes.ndjson";
    std::istringstream lines(testutil::ReadFile(path));
    int n = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      ++n;
      EXPECT_EQ(Violations(line), std::vector<std::string>{}) << golden << ": " << line;
    }
    EXPECT_GT(n, 0) << path;
  }
}

}  // namespace
}  // namespace processors
