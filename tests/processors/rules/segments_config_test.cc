// The `segments:` section: expression errors at their line and column in the file, all
// reported at once, by the loader and by `engaged validate` (exit 78).

#include <gtest/gtest.h>

#include <string>

#include "tests/testutil/files.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"
#include "topologies/config.h"

namespace topologies {
namespace {

// Line 4: `    enter: "events_totl >= 3"`: the quote is column 12, the text starts at 13.
// Line 7: `    enter: active_days >= 2 and`: plain, text at column 12; the end at 12 + 20.
// Line 8: `    exit: 'active_days <> 1'`: quoted, text at column 12; '>' at offset 13.
constexpr char kBad[] =
    "application_id: x\n"
    "segments:\n"
    "  - name: a\n"
    "    enter: \"events_totl >= 3\"\n"
    "    min_dwell_ms: 5\n"
    "  - name: b\n"
    "    enter: active_days >= 2 and\n"
    "    exit: 'active_days <> 1'\n"
    "  - name: c\n"
    "    enter: events_total >= 1\n"
    "    min_events: 3\n";

TEST(SegmentsConfigTest, ExpressionErrorsCarryFileLineAndColumn) {
  const ConfigLoad load = LoadConfigText(kBad);
  ASSERT_EQ(load.errors.size(), 4u);
  EXPECT_EQ(load.errors[0].line, 11);  // both min_events and enter (found while loading)
  EXPECT_NE(load.errors[0].message.find("both 'min_events' and 'enter'"), std::string::npos);
  EXPECT_EQ(load.errors[1].line, 4);
  EXPECT_EQ(load.errors[1].column, 13);
  EXPECT_NE(load.errors[1].message.find("segment 'a' enter: unknown feature 'events_totl'"),
            std::string::npos)
      << load.errors[1].message;
  EXPECT_EQ(load.errors[2].line, 7);
  EXPECT_EQ(load.errors[2].column, 12 + 20);
  EXPECT_NE(load.errors[2].message.find("the end of the expression"), std::string::npos);
  EXPECT_EQ(load.errors[3].line, 8);
  EXPECT_EQ(load.errors[3].column, 12 + 13);
  EXPECT_NE(load.errors[3].message.find("segment 'b' exit"), std::string::npos);
  EXPECT_NE(load.errors[3].message.find("'>'"), std::string::npos) << load.errors[3].message;
}

TEST(SegmentsConfigTest, AValidSectionLoadsEveryField) {
  const ConfigLoad load = LoadConfigText(
      "segments:\n"
      "  - name: hot\n"
      "    enter: days_since(last_seen) < 7 and events_total >= 10\n"
      "    exit: days_since(last_seen) > 14\n"
      "    min_dwell_ms: 86400000\n"
      "  - name: legacy\n"
      "    min_events: 2\n");
  ASSERT_TRUE(load.ok()) << load.errors[0].message;
  ASSERT_EQ(load.config.segments.size(), 2u);
  EXPECT_EQ(load.config.segments[0].enter, "days_since(last_seen) < 7 and events_total >= 10");
  EXPECT_EQ(load.config.segments[0].exit, "days_since(last_seen) > 14");
  EXPECT_EQ(load.config.segments[0].min_dwell_ms, 86400000);
  EXPECT_EQ(load.config.segments[1].min_events, 2);
  EXPECT_TRUE(load.config.segments[1].enter.empty());
}

TEST(SegmentsConfigTest, ValidatePrintsEveryExpressionErrorAndExits78) {
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("c.yaml"), kBad);
  std::string log;
  EXPECT_EQ(
      testutil::RunToCompletion({ENGAGED_BINARY, "validate", "--config", dir.File("c.yaml")}, &log),
      78);
  EXPECT_NE(log.find("c.yaml:4:13: segment 'a' enter: unknown feature"), std::string::npos) << log;
  EXPECT_NE(log.find("c.yaml:7:32: "), std::string::npos) << log;
  EXPECT_NE(log.find("c.yaml:8:25: "), std::string::npos) << log;
}

TEST(SegmentsConfigTest, TheShippedLifecycleExampleIsValid) {
  const ConfigLoad load =
      LoadConfigFile(std::string(ENGAGED_SOURCE_DIR) + "/examples/lifecycle.yaml");
  EXPECT_TRUE(load.ok()) << (load.ok() ? "" : load.errors[0].message);
  EXPECT_EQ(load.config.segments.size(), 6u);
}

}  // namespace
}  // namespace topologies
