#pragma once

// Files as a Source and a Sink, for `engaged replay`: NDJSON in, NDJSON out.
// Used from the processing thread only.

#include <cstdio>
#include <memory>
#include <string>

#include "ops/progress.h"
#include "topologies/io.h"

namespace topologies {

// Reads one record per line from a file, or from stdin for "-". Every line is a record
// of partition 0 of a topic named after the file; the offset is the 0-based line
// number. Replay always reads the whole input (it does not skip what an earlier replay
// into the same state directory read), so a file can be replayed in pieces.
class FileSource final : public Source {
 public:
  static ops::Result<std::unique_ptr<FileSource>> Open(const std::string& path);
  ~FileSource() override;

  void SetListener(PartitionListener* listener) override { listener_ = listener; }
  // Reports the bytes and lines read to `progress`, and finishes it at the end of the
  // input. Not owned; outlives this source.
  void SetProgress(ops::Progress* progress) { progress_ = progress; }
  ops::Result<PollStatus> Poll(int timeout_ms) override;
  int64_t bytes_read() const { return bytes_read_; }
  int64_t lines_read() const { return next_offset_; }
  const InputRecord& record() const override { return record_; }
  void OnCommitted(std::span<const std::pair<state::TopicPartition, state::Offset>>) override {}
  // Files are read once, in order: nothing to seek.
  ops::Status Seek(std::span<const std::pair<state::TopicPartition, state::Offset>>) override {
    return ops::Status::FailedPrecondition("a file source cannot seek");
  }
  ops::Status Close() override;

 private:
  FileSource(std::FILE* file, bool owned, std::string topic);

  std::FILE* file_;
  bool owned_;
  std::string topic_;
  PartitionListener* listener_ = nullptr;
  ops::Progress* progress_ = nullptr;
  int64_t bytes_read_ = 0;
  bool assigned_ = false;
  bool closed_ = false;
  char* line_ = nullptr;
  size_t line_capacity_ = 0;
  int64_t next_offset_ = 0;
  InputRecord record_;
};

// Writes DIR/segment-changes.ndjson and DIR/churn-risk.ndjson (one event per line) and
// DIR/dead-letters.ndjson (one JSON object per line with the headers, the key and the
// original value).
class FileSink final : public Sink {
 public:
  static ops::Result<std::unique_ptr<FileSink>> Open(const std::string& dir);
  ~FileSink() override;

  ops::Status Emit(OutputStream stream, std::string_view key, std::string_view value,
                   std::span<const Header> headers) override;
  ops::Status Flush() override;

 private:
  FileSink() = default;
  std::FILE* segment_changes_ = nullptr;
  std::FILE* dead_letters_ = nullptr;
  std::FILE* churn_risk_ = nullptr;
  std::string line_;
};

}  // namespace topologies
