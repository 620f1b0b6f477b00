// Golden replay: a checked-in NDJSON input gives exactly the checked-in outputs and
// summary. Processing-time fields (detected_at, duration_s) are masked. To accept a
// deliberate change, rerun with ENGAGED_UPDATE_GOLDEN=1 and review the diff.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/testutil/files.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"

namespace topologies {
namespace {

// Replaces the value after each `"key":` up to the first character in `stop` by `*`.
std::string MaskValues(std::string text, const std::string& key, const std::string& stop) {
  for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
    const size_t begin = at + key.size();
    const size_t end = text.find_first_of(stop, begin);
    text.replace(begin, end - begin, "*");
  }
  return text;
}

std::string Mask(const std::string& text) {
  return MaskValues(MaskValues(text, R"("detected_at":")", "\""), R"("duration_s":)", ",}");
}

constexpr const char* kOutputs[] = {"segment-changes.ndjson", "churn-risk.ndjson",
                                    "dead-letters.ndjson", "summary.json"};

// Scenario configs name files next to them as ${ENGAGED_GOLDEN_DIR}/...
class ReplayGoldenTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    golden_ = std::filesystem::path(ENGAGED_SOURCE_DIR) / "tests/topologies/golden" / GetParam();
    setenv("ENGAGED_GOLDEN_DIR", golden_.c_str(), 1);
  }
  void TearDown() override { unsetenv("ENGAGED_GOLDEN_DIR"); }

  std::filesystem::path golden_;
};

TEST_P(ReplayGoldenTest, MatchesTheCheckedInOutputs) {
  const std::filesystem::path& golden = golden_;
  testutil::TempDir out;
  std::string log;
  const int rc = testutil::RunToCompletion(
      {ENGAGED_BINARY, "replay", "--config", (golden / "config.yaml").string(), "--input",
       (golden / "input.ndjson").string(), "--out", out.path().string()},
      &log);
  ASSERT_EQ(rc, 0) << log;
  const bool update = std::getenv("ENGAGED_UPDATE_GOLDEN") != nullptr;
  for (const char* name : kOutputs) {
    const std::string got = Mask(testutil::ReadFile(out.File(name)));
    const std::string expected_path = (golden / "expected" / name).string();
    if (update) {
      std::filesystem::create_directories(golden / "expected");
      testutil::WriteFile(expected_path, got);
      continue;
    }
    EXPECT_EQ(got, testutil::ReadFile(expected_path)) << name;
  }
}

TEST_P(ReplayGoldenTest, ReplayingInTwoHalvesGivesTheSameOutputsAsOnce) {
  const std::filesystem::path& golden = golden_;
  const auto lines = testutil::ReadLines((golden / "input.ndjson").string());
  testutil::TempDir dir;
  std::string first, second;
  for (size_t i = 0; i < lines.size(); ++i) {
    (i < lines.size() / 2 ? first : second) += lines[i] + "\n";
  }
  testutil::WriteFile(dir.File("first.ndjson"), first);
  testutil::WriteFile(dir.File("second.ndjson"), second);
  std::string changes, churn;
  for (const char* half : {"first", "second"}) {
    std::string log;
    ASSERT_EQ(testutil::RunToCompletion(
                  {ENGAGED_BINARY, "replay", "--config", (golden / "config.yaml").string(),
                   "--input", dir.File(std::string(half) + ".ndjson"), "--out",
                   dir.File(std::string("out-") + half), "--state-dir", dir.File("state")},
                  &log),
              0)
        << log;
    const std::string out = dir.File(std::string("out-") + half);
    changes += Mask(testutil::ReadFile(out + "/segment-changes.ndjson"));
    churn += Mask(testutil::ReadFile(out + "/churn-risk.ndjson"));
  }
  EXPECT_EQ(changes, testutil::ReadFile((golden / "expected/segment-changes.ndjson").string()));
  EXPECT_EQ(churn, testutil::ReadFile((golden / "expected/churn-risk.ndjson").string()));
}

INSTANTIATE_TEST_SUITE_P(Golden, ReplayGoldenTest,
                         testing::Values("basic", "hysteresis", "lifecycle", "churn"));

TEST(ReplayTest, AMissingInputIsAClearError) {
  testutil::TempDir dir;
  std::string log;
  testutil::WriteFile(dir.File("c.yaml"), "application_id: x\n");
  EXPECT_EQ(
      testutil::RunToCompletion({ENGAGED_BINARY, "replay", "--config", dir.File("c.yaml"),
                                 "--input", dir.File("nope.ndjson"), "--out", dir.File("out")},
                                &log),
      1);
  EXPECT_NE(log.find("cannot read"), std::string::npos) << log;
}

TEST(ReplayTest, ShowsNoProgressWhenStderrIsNotATerminal) {
  // The output of a test run goes to a file: CI logs must hold JSON lines only.
  const std::string golden = std::string(ENGAGED_SOURCE_DIR) + "/tests/topologies/golden/basic";
  testutil::TempDir dir;
  std::string log;
  ASSERT_EQ(
      testutil::RunToCompletion({ENGAGED_BINARY, "replay", "--config", golden + "/config.yaml",
                                 "--input", golden + "/input.ndjson", "--out", dir.File("out")},
                                &log),
      0)
      << log;
  EXPECT_EQ(log.find('\r'), std::string::npos) << log;
  EXPECT_EQ(log.find("records/s"), std::string::npos) << log;
}

TEST(ValidateTest, ExitsSeventyEightWithLineAndColumn) {
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("c.yaml"), "application_id: x\nsegmants: []\n");
  std::string log;
  EXPECT_EQ(
      testutil::RunToCompletion({ENGAGED_BINARY, "validate", "--config", dir.File("c.yaml")}, &log),
      78);
  EXPECT_NE(log.find("c.yaml:2:1: unknown key 'segmants'"), std::string::npos) << log;
  testutil::WriteFile(dir.File("ok.yaml"), "application_id: x\n");
  EXPECT_EQ(testutil::RunToCompletion({ENGAGED_BINARY, "validate", "--config", dir.File("ok.yaml")},
                                      &log),
            0);
}

}  // namespace
}  // namespace topologies

namespace topologies {
namespace {

TEST(InspectTest, PrintsOneCustomerAndFailsForAnUnknownOne) {
  const std::string golden = std::string(ENGAGED_SOURCE_DIR) + "/tests/topologies/golden/basic";
  testutil::TempDir dir;
  std::string log;
  ASSERT_EQ(testutil::RunToCompletion({ENGAGED_BINARY, "replay", "--config",
                                       golden + "/config.yaml", "--input", golden + "/input.ndjson",
                                       "--out", dir.File("out"), "--state-dir", dir.File("state")},
                                      &log),
            0)
      << log;
  ASSERT_EQ(testutil::RunToCompletion({ENGAGED_BINARY, "inspect", "--state-dir", dir.File("state"),
                                       "--customer", "alice"},
                                      &log),
            0)
      << log;
  EXPECT_NE(log.find(R"("customer_id":"alice")"), std::string::npos) << log;
  EXPECT_NE(log.find(R"("events_total":5)"), std::string::npos) << log;
  EXPECT_EQ(
      testutil::RunToCompletion(
          {ENGAGED_BINARY, "inspect", "--state-dir", dir.File("state"), "--customer", "zed"}, &log),
      1);
  EXPECT_NE(log.find("not found"), std::string::npos);

  ASSERT_EQ(testutil::RunToCompletion({ENGAGED_BINARY, "checkpoint", "--state-dir",
                                       dir.File("state"), "--out", dir.File("backup")},
                                      &log),
            0)
      << log;
  ASSERT_EQ(testutil::RunToCompletion({ENGAGED_BINARY, "inspect", "--state-dir", dir.File("backup"),
                                       "--customer", "alice"},
                                      &log),
            0)
      << log;
  EXPECT_NE(log.find(R"("events_total":5)"), std::string::npos) << log;
  EXPECT_EQ(testutil::RunToCompletion({ENGAGED_BINARY, "checkpoint", "--state-dir",
                                       dir.File("state"), "--out", dir.File("backup")},
                                      &log),
            1)
      << "an existing target is refused";
}

}  // namespace
}  // namespace topologies
