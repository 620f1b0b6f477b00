// Replays tests/processors/fixtures/mixed.ndjson, a checked-in mix of good records of
// every input shape and bad records of every dead-letter reason, through the built
// `engaged replay`, and checks summary.json's exact counts by reason and that every dead
// letter carries its reason and the source headers (docs/dead-letters.md).

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "tests/testutil/files.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"

namespace topologies {
namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(ENGAGED_SOURCE_DIR) / "tests/processors/fixtures";

// Line number (0-based, the dead letter's source.offset) -> the reason it must carry.
const std::map<int, std::string> kExpected = {
    {1, "invalid_json"},
    {3, "not_object"},
    {5, "invalid_utf8"},
    {7, "missing_customer_id"},
    {8, "missing_event_type"},
    {9, "bad_timestamp"},
    {11, "oversize"},
    {12, "wrong_type"},
    {13, "unknown_call_type"},
    {15, "timestamp_in_future"},
    {16, "too_late"},
    {18, "invalid_json"},
    {19, "missing_customer_id"},
    {20, "bad_timestamp"},
    {21, "wrong_type"},
};
constexpr int kLines = 22;
constexpr int kValid = 7;

// The value of the string header `key` in a dead-letter line, or "".
std::string Header(const std::string& line, const std::string& key) {
  const std::string prefix = "\"" + key + "\":\"";
  const size_t at = line.find(prefix);
  if (at == std::string::npos) return "";
  const size_t begin = at + prefix.size();
  return line.substr(begin, line.find('"', begin) - begin);
}

// The integer after `"key":` in `json`, or -1.
long Number(const std::string& json, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\":(\\d+)"))) return -1;
  return std::stol(m[1].str());
}

class ReplayReasonsTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string log;
    const int rc = testutil::RunToCompletion(
        {ENGAGED_BINARY, "replay", "--config", (kFixtures / "mixed.yaml").string(), "--input",
         (kFixtures / "mixed.ndjson").string(), "--out", out_.path().string()},
        &log);
    ASSERT_EQ(rc, 0) << log;
  }
  testutil::TempDir out_;
};

TEST_F(ReplayReasonsTest, SummaryCountsEveryReasonExactly) {
  const std::string summary = testutil::ReadFile(out_.File("summary.json"));
  EXPECT_EQ(Number(summary, "events_in"), kLines) << summary;
  EXPECT_EQ(Number(summary, "events_valid"), kValid) << summary;
  std::map<std::string, long> want;
  for (const auto& [line, reason] : kExpected) ++want[reason];
  const size_t open = summary.find("\"events_invalid\":{");
  ASSERT_NE(open, std::string::npos) << summary;
  const std::string invalid = summary.substr(open, summary.find('}', open) - open + 1);
  std::map<std::string, long> got;
  const std::regex entry("\"(\\w+)\":(\\d+)");
  for (auto it = std::sregex_iterator(invalid.begin(), invalid.end(), entry);
       it != std::sregex_iterator(); ++it) {
    got[(*it)[1].str()] = std::stol((*it)[2].str());
  }
  EXPECT_EQ(got, want) << summary;
}

TEST_F(ReplayReasonsTest, EveryDeadLetterCarriesItsReasonAndSource) {
  const std::vector<std::string> letters = testutil::ReadLines(out_.File("dead-letters.ndjson"));
  ASSERT_EQ(letters.size(), kExpected.size());
  std::map<int, std::string> got;
  for (const std::string& line : letters) {
    const std::string offset = Header(line, "source.offset");
    ASSERT_FALSE(offset.empty()) << line;
    got[std::stoi(offset)] = Header(line, "error.code");
    EXPECT_EQ(Header(line, "source.topic"), "mixed.ndjson") << line;
    EXPECT_EQ(Header(line, "source.partition"), "0") << line;
    EXPECT_FALSE(Header(line, "error.message").empty()) << line;
  }
  EXPECT_EQ(got, kExpected);
}

}  // namespace
}  // namespace topologies
