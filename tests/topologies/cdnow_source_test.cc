// CDNOW text as replay input: date order, the flat events it becomes, and errors with
// the line number.

#include "topologies/cdnow_source.h"

#include <gtest/gtest.h>

#include "tests/testutil/files.h"
#include "tests/testutil/temp_dir.h"

namespace topologies {
namespace {

class Recorder final : public PartitionListener {
 public:
  ops::Result<std::vector<std::optional<state::Offset>>> OnAssigned(
      std::span<const state::TopicPartition> partitions) override {
    assigned += static_cast<int>(partitions.size());
    return std::vector<std::optional<state::Offset>>(partitions.size());
  }
  ops::Status OnRevoked(std::span<const state::TopicPartition> partitions) override {
    revoked += static_cast<int>(partitions.size());
    return ops::Status::Ok();
  }
  int assigned = 0;
  int revoked = 0;
};

TEST(CdnowSourceTest, ServesPurchasesInDateOrderAsFlatEvents) {
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("log.txt"),
                      "00002 19970105 1 10.5\n"
                      "00001 19970102 2 29.33\n"
                      "\n"
                      "00002 19970102 1 7\n");
  auto source = CdnowSource::Open(dir.File("log.txt"));
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  Recorder listener;
  (*source)->SetListener(&listener);
  std::vector<std::string> values;
  while (true) {
    auto polled = (*source)->Poll(0);
    ASSERT_TRUE(polled.ok());
    if (*polled == PollStatus::kEnd) break;
    values.emplace_back((*source)->record().value);
  }
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[0], R"({"customer_id":"1","type":"purchase","ts":"1997-01-02T00:00:00Z",)"
                       R"("revenue":29.33,"quantity":2})");
  EXPECT_NE(values[1].find(R"("customer_id":"2","type":"purchase","ts":"1997-01-02)"),
            std::string::npos);  // same day: file order
  EXPECT_NE(values[2].find(R"("ts":"1997-01-05T00:00:00Z")"), std::string::npos);
  ASSERT_TRUE((*source)->Close().ok());
  EXPECT_EQ(listener.assigned, 1);
  EXPECT_EQ(listener.revoked, 1);
}

TEST(CdnowSourceTest, ABadLineIsAnErrorWithItsNumber) {
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("log.txt"), "00001 19970102 2 29.33\n00001 1997-01-03 1 5\n");
  auto source = CdnowSource::Open(dir.File("log.txt"));
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.status().message().find("log.txt:2: date '1997-01-03'"), std::string::npos)
      << source.status().message();
  EXPECT_FALSE(CdnowSource::Open(dir.File("missing.txt")).ok());
}

}  // namespace
}  // namespace topologies
