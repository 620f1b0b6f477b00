#pragma once

// CDNOW purchase logs as a Source, for `engaged replay --format cdnow`: every line
// (`customer_id date quantity amount`, or the sample's five columns) becomes a flat
// purchase event {"customer_id", "type": "purchase", "ts": date at 00:00 UTC,
// "revenue": amount, "quantity"}. The file is sorted by customer, not by time, so the
// whole file is read and the events are served in date order (stable: a day's lines
// keep their file order); offsets are the 0-based positions in that order.
// Used from the processing thread only.

#include <memory>
#include <string>
#include <vector>

#include "topologies/io.h"

namespace topologies {

class CdnowSource final : public Source {
 public:
  // Reads and converts the whole file. Errors: NotFound, or InvalidArgument
  // "PATH:LINE: reason" for the first line that is not CDNOW text.
  static ops::Result<std::unique_ptr<CdnowSource>> Open(const std::string& path);

  void SetListener(PartitionListener* listener) override { listener_ = listener; }
  ops::Result<PollStatus> Poll(int timeout_ms) override;
  const InputRecord& record() const override { return record_; }
  void OnCommitted(std::span<const std::pair<state::TopicPartition, state::Offset>>) override {}
  // Files are read once, in order: nothing to seek.
  ops::Status Seek(std::span<const std::pair<state::TopicPartition, state::Offset>>) override {
    return ops::Status::FailedPrecondition("a file source cannot seek");
  }
  ops::Status Close() override;

  size_t size() const { return events_.size(); }

 private:
  explicit CdnowSource(std::string topic) : topic_(std::move(topic)) {}

  std::string topic_;
  std::vector<std::string> events_;  // flat JSON, in date order
  size_t next_ = 0;
  PartitionListener* listener_ = nullptr;
  bool assigned_ = false;
  bool closed_ = false;
  InputRecord record_;
};

}  // namespace topologies
