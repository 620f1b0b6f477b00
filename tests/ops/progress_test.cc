#include "ops/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

namespace ops {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(ProgressTest, FormatsSizePercentageRateAndEta) {
  EXPECT_EQ(FormatProgress("replay", 12'000'000, 48'000'000, 81'234, 2.0),
            "replay: 12.0 MB of 48.0 MB (25%), 81.2 k records, 40.6 k records/s, ETA 0:06");
  EXPECT_EQ(FormatProgress("fit", 3'500'000'000, 7'000'000'000, 2'500'000, 3725.0),
            "fit: 3.5 GB of 7.0 GB (50%), 2.50 M records, 671 records/s, ETA 1:02:05");
}

TEST(ProgressTest, AnUnknownTotalHasNoPercentageAndNoEta) {
  EXPECT_EQ(FormatProgress("replay", 1'500, 0, 10, 0.5),
            "replay: 1.5 kB, 10 records, 20 records/s");
  EXPECT_EQ(FormatProgress("replay", 0, 0, 0, 0), "replay: 0 B, 0 records");
}

// A Progress writing to a memory buffer, with a clock the test moves.
class ProgressOutput : public testing::Test {
 protected:
  void SetUp() override { out_ = open_memstream(&buffer_, &size_); }
  void TearDown() override { std::free(buffer_); }
  std::string Written() {
    std::fflush(out_);
    return std::string(buffer_, size_);
  }
  Progress Make(bool enabled) {
    return Progress({.label = "replay",
                     .total_bytes = 1000,
                     .enabled = enabled,
                     .out = out_,
                     .now = [this] { return now_; },
                     .interval = milliseconds(250),
                     .calls_per_clock_read = 1});
  }
  void CloseOutput() { std::fclose(out_); }

  std::FILE* out_ = nullptr;
  char* buffer_ = nullptr;
  size_t size_ = 0;
  steady_clock::time_point now_{};
};

TEST_F(ProgressOutput, PrintsNothingWhenNotATerminal) {
  Progress p = Make(false);
  for (int i = 1; i <= 10; ++i) {
    now_ += milliseconds(1000);
    p.Update(i * 100, i);
  }
  p.Finish(1000, 10);
  EXPECT_EQ(Written(), "");
  CloseOutput();
}

TEST_F(ProgressOutput, RewritesOneLineAtMostEveryInterval) {
  Progress p = Make(true);
  now_ += milliseconds(100);
  p.Update(100, 1);  // too soon: nothing
  EXPECT_EQ(Written(), "");
  now_ += milliseconds(150);
  p.Update(250, 2);  // 250 ms after the start
  const std::string first = Written();
  EXPECT_EQ(first, "\rreplay: 250 B of 1.0 kB (25%), 2 records, 8 records/s, ETA 0:01\033[K");
  now_ += milliseconds(10);
  p.Update(260, 3);  // 10 ms after the last line: nothing
  EXPECT_EQ(Written(), first);
  now_ += milliseconds(740);
  p.Finish(1000, 4);
  const std::string all = Written();
  EXPECT_EQ(all.substr(first.size()),
            "\rreplay: 1.0 kB of 1.0 kB (100%), 4 records, 4 records/s\033[K\n");
  now_ += milliseconds(1000);
  p.Update(1000, 5);
  p.Finish(1000, 5);  // once only
  EXPECT_EQ(Written(), all);
  CloseOutput();
}

TEST(ProgressStreambufTest, PassesTheBytesThroughAndCountsLines) {
  std::stringstream source("a\nbb\nccc\n");
  Progress progress({.label = "fit", .enabled = false});
  ProgressStreambuf buf(source.rdbuf(), &progress);
  std::istream in(&buf);
  std::string line, all;
  while (std::getline(in, line)) all += line + "|";
  EXPECT_EQ(all, "a|bb|ccc|");
  EXPECT_EQ(buf.bytes(), 9);
  EXPECT_EQ(buf.lines(), 3);
}

}  // namespace
}  // namespace ops
