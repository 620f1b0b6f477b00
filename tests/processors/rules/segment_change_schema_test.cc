// Produced segment-change events validate against schemas/segment-change.v1.json:
// required fields, no other fields, each field's JSON type, the event-id pattern and the
// schema constants. The check reads the schema file, so a schema change is picked up.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "processors/segment_change.h"

namespace processors {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string JsonType(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::STRING:
      return "string";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    case simdjson::dom::element_type::OBJECT:
      return "object";
    case simdjson::dom::element_type::ARRAY:
      return "array";
    case simdjson::dom::element_type::BOOL:
      return "boolean";
    default:
      return "number";
  }
}

// The types a schema property allows ("type": "x" or ["x", "y"]); empty when unstated.
std::set<std::string> AllowedTypes(simdjson::dom::element property) {
  std::set<std::string> out;
  simdjson::dom::element type;
  if (property["type"].get(type) != simdjson::SUCCESS) return out;
  if (type.is_string()) {
    out.insert(std::string(std::string_view(type)));
  } else {
    for (simdjson::dom::element t : simdjson::dom::array(type)) {
      out.insert(std::string(std::string_view(t)));
    }
  }
  return out;
}

class SegmentChangeSchemaTest : public testing::Test {
 protected:
  SegmentChangeSchemaTest()
      : schema_text_(Read(std::string(ENGAGED_SOURCE_DIR) + "/schemas/segment-change.v1.json")) {
    schema_ = schema_parser_.parse(schema_text_).value();
  }

  // Every violation of the schema by `json`.
  std::vector<std::string> Violations(const std::string& json) {
    std::vector<std::string> out;
    simdjson::dom::element doc;
    if (parser_.parse(json).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
      return {"not a JSON object: " + json};
    }
    const simdjson::dom::object event = doc;
    const simdjson::dom::object properties = schema_["properties"];
    for (simdjson::dom::element r : simdjson::dom::array(schema_["required"])) {
      const std::string_view key = r;
      if (event[key].error() != simdjson::SUCCESS) out.push_back("missing " + std::string(key));
    }
    for (auto [key, value] : event) {
      simdjson::dom::element property;
      if (properties[key].get(property) != simdjson::SUCCESS) {
        out.push_back("additional property " + std::string(key));
        continue;
      }
      const std::set<std::string> allowed = AllowedTypes(property);
      if (!allowed.empty() && !allowed.count(JsonType(value))) {
        out.push_back(std::string(key) + " has type " + JsonType(value));
      }
    }
    CheckDetails(event, out);
    return out;
  }

  // The constraints beyond types: feature values, event-id pattern, schema constants.
  static void CheckDetails(const simdjson::dom::object& event, std::vector<std::string>& out) {
    simdjson::dom::object features;
    if (event["features"].get(features) == simdjson::SUCCESS) {
      for (auto [key, value] : features) {
        const std::string t = JsonType(value);
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

  std::string schema_text_;
  simdjson::dom::parser schema_parser_;
  simdjson::dom::element schema_;
  simdjson::dom::parser parser_;
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
  for (const char* golden : {"basic", "hysteresis"}) {
    const std::string path = std::string(ENGAGED_SOURCE_DIR) + "/tests/topologies/golden/" +
                             golden + "/expected/segment-changes.ndjson";
    std::istringstream lines(Read(path));
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
