// Every example config in examples/ loads without an error, and the sample inputs that
// sit beside some of them replay into segment changes.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include "tests/testutil/files.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"
#include "topologies/config.h"

namespace topologies {
namespace {

const std::filesystem::path kExamples = std::filesystem::path(ENGAGED_SOURCE_DIR) / "examples";

std::vector<std::filesystem::path> ExampleConfigs() {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(kExamples)) {
    if (entry.path().extension() == ".yaml") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Sets every ${VAR} without a default in `text` to a placeholder, as a deployment would.
void SetRequiredVariables(const std::string& text) {
  static const std::regex kRequired(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)\})");
  for (std::sregex_iterator it(text.begin(), text.end(), kRequired), end; it != end; ++it) {
    ::setenv((*it)[1].str().c_str(), "placeholder", 1);
  }
}

TEST(ExamplesTest, EveryExampleConfigIsValid) {
  const auto configs = ExampleConfigs();
  std::set<std::string> names;
  for (const auto& path : configs) names.insert(path.filename().string());
  for (const char* expected : {"local.yaml", "lifecycle.yaml", "production.yaml", "segment.yaml",
                               "snowplow.yaml", "cdnow.yaml"}) {
    EXPECT_TRUE(names.count(expected)) << expected;
  }
  for (const auto& path : configs) {
    SetRequiredVariables(testutil::ReadFile(path.string()));
    const ConfigLoad load = LoadConfigFile(path.string());
    std::string errors;
    for (const auto& e : load.errors) errors += FormatConfigError(path.string(), e) + "\n";
    EXPECT_TRUE(load.ok()) << errors;
    EXPECT_FALSE(load.config.input.topics.empty()) << path << ": engaged run needs a topic";
  }
}

TEST(ExamplesTest, TheProductionExampleNeedsItsSecretsFromTheEnvironment) {
  ::unsetenv("KAFKA_PASSWORD");
  const ConfigLoad load = LoadConfigFile((kExamples / "production.yaml").string());
  ASSERT_FALSE(load.ok());
  EXPECT_TRUE(std::any_of(load.errors.begin(), load.errors.end(), [](const ConfigError& e) {
    return e.message.find("'KAFKA_PASSWORD' is not set") != std::string::npos && e.line == 31;
  }));
}

// The value of `"key":N` in a summary.json.
int64_t SummaryCount(const std::string& summary, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(summary, m, std::regex("\"" + key + "\":([0-9]+)"))) return -1;
  return std::stoll(m[1].str());
}

class ExampleInputTest : public testing::TestWithParam<const char*> {};

TEST_P(ExampleInputTest, ReplaysIntoSegmentChangesAndDeadLetters) {
  const std::string name = GetParam();
  testutil::TempDir out;
  std::string log;
  ASSERT_EQ(
      testutil::RunToCompletion(
          {ENGAGED_BINARY, "replay", "--config", (kExamples / (name + ".yaml")).string(), "--input",
           (kExamples / (name + "-events.ndjson")).string(), "--out", out.path().string()},
          &log),
      0)
      << log;
  const std::string summary = testutil::ReadFile(out.File("summary.json"));
  // Each sample mixes good records with ignored and rejected ones, to show all three.
  EXPECT_GT(SummaryCount(summary, "events_valid"), 0) << summary;
  EXPECT_GT(SummaryCount(summary, "events_ignored"), 0) << summary;
  EXPECT_GT(SummaryCount(summary, "segment_changes"), 0) << summary;
  EXPECT_EQ(SummaryCount(summary, "missing_customer_id"), 1) << summary;
}

INSTANTIATE_TEST_SUITE_P(Samples, ExampleInputTest, testing::Values("segment", "snowplow"));

}  // namespace
}  // namespace topologies
