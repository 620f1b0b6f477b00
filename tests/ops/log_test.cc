#include "ops/log.h"

#include <gtest/gtest.h>

namespace ops {
namespace {

TEST(LogTest, EscapesJsonSpecialsAndControlCharacters) {
  std::string out;
  AppendJsonEscaped("a\"b\\c\nd\te\x01", &out);
  EXPECT_EQ(out, "a\\\"b\\\\c\\nd\\te\\u0001");
}

TEST(LogTest, ReplacesInvalidUtf8AndKeepsValidUtf8) {
  std::string out;
  AppendJsonEscaped("caf\xc3\xa9 \xff!", &out);
  EXPECT_EQ(out, "caf\xc3\xa9 \xEF\xBF\xBD!");
}

TEST(LogTest, ParsesLevels) {
  LogLevel level = LogLevel::kInfo;
  EXPECT_TRUE(ParseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("verbose", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
}

TEST(LogTest, WritesOneJsonObjectPerLine) {
  testing::internal::CaptureStderr();
  Logger("test").Info("hello \"world\"", {{"partition", 3}, {"topic", "t"}});
  const std::string line = testing::internal::GetCapturedStderr();
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_NE(
      line.find(
          R"("level":"info","logger":"test","msg":"hello \"world\"","partition":3,"topic":"t"})"),
      std::string::npos)
      << line;
}

}  // namespace
}  // namespace ops
