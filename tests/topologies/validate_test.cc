// The bad config files a new user writes first, through the binary: each gives one
// clear message at its line and column, and exit code 78 (EX_CONFIG).

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/testutil/files.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"

namespace topologies {
namespace {

struct BadConfig {
  const char* name;
  const char* yaml;
  const char* message;  // the whole line engaged prints for it, after "DIR/"
};

class BadConfigTest : public testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, ValidateGivesOneMessageWithLineAndColumn) {
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("c.yaml"), GetParam().yaml);
  std::string out;
  EXPECT_EQ(
      testutil::RunToCompletion({ENGAGED_BINARY, "validate", "--config", dir.File("c.yaml")}, &out),
      78);
  EXPECT_NE(out.find(dir.File(GetParam().message)), std::string::npos) << out;
  EXPECT_NE(out.find("c.yaml: 1 error\n"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(
    FirstMistakes, BadConfigTest,
    testing::Values(
        BadConfig{"MisspeltKey", "input:\n  topics: [clicks]\n  topic: [x]\n",
                  "c.yaml:3:3: unknown key 'input.topic' (known here: topics, max_message_bytes, "
                  "format, identity, fields, taxonomy, dedup_horizon_ms, keyed_by_customer)\n"},
        BadConfig{"WrongType", "input:\n  topics: [clicks]\nstate:\n  memory_budget_bytes: 1GB\n",
                  "c.yaml:4:24: expected an integer, got '1GB'\n"},
        BadConfig{
            "BadExpression",
            "input:\n  topics: [clicks]\nsegments:\n  - name: hot\n"
            "    enter: page_views_7d >= \n",
            "c.yaml:5:28: segment 'hot' enter: expected a number, a feature name or '(', found "
            "the end of the expression\n"},
        BadConfig{"TopicsNotAList", "input:\n  topics: clicks\n",
                  "c.yaml:2:11: 'input.topics' must be a list of topic names\n"}),
    [](const testing::TestParamInfo<BadConfig>& info) { return info.param.name; });

TEST(BadConfigTest, RunRefusesAConfigWithoutInputTopics) {
  // validate accepts it (replay needs no topics); run refuses before connecting.
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("c.yaml"), "application_id: x\n");
  std::string out;
  EXPECT_EQ(
      testutil::RunToCompletion({ENGAGED_BINARY, "run", "--config", dir.File("c.yaml")}, &out), 78);
  EXPECT_NE(out.find("input.topics is empty; engaged run needs at least one topic"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace topologies
