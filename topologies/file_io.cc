#include "topologies/file_io.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "fmt/format.h"
#include "processors/json_writer.h"

namespace topologies {

ops::Result<std::unique_ptr<FileSource>> FileSource::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<FileSource>(new FileSource(stdin, false, "stdin"));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return ops::Status::NotFound(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  }
  return std::unique_ptr<FileSource>(
      new FileSource(f, true, std::filesystem::path(path).filename().string()));
}

FileSource::FileSource(std::FILE* file, bool owned, std::string topic)
    : file_(file), owned_(owned), topic_(std::move(topic)) {}

FileSource::~FileSource() {
  std::free(line_);  // allocated by getline
  if (owned_ && file_ != nullptr) std::fclose(file_);
}

ops::Result<PollStatus> FileSource::Poll(int /*timeout_ms*/) {
  if (closed_) return PollStatus::kEnd;
  if (!assigned_) {
    assigned_ = true;
    const state::TopicPartition tp{topic_, state::Partition(0)};
    auto starts = listener_->OnAssigned(std::span(&tp, 1));
    if (!starts.ok()) return starts.status();
  }
  size_t len = 0;
  do {  // blank lines are not records, but they keep their line number
    const ssize_t n = getline(&line_, &line_capacity_, file_);
    if (n < 0) {
      if (std::ferror(file_)) {
        return ops::Status::IoError(fmt::format("reading {}: {}", topic_, std::strerror(errno)));
      }
      // Ends the progress line before the topology logs the end of the partition.
      if (progress_ != nullptr) progress_->Finish(bytes_read_, next_offset_);
      return PollStatus::kEnd;
    }
    len = static_cast<size_t>(n);
    bytes_read_ += n;
    while (len > 0 && (line_[len - 1] == '\n' || line_[len - 1] == '\r')) --len;
    ++next_offset_;
  } while (len == 0);
  if (progress_ != nullptr) progress_->Update(bytes_read_, next_offset_);
  record_ = InputRecord{.topic = topic_,
                        .partition = state::Partition(0),
                        .offset = state::Offset(next_offset_ - 1),
                        .key = {},
                        .value = std::string_view(line_, len),
                        .timestamp = state::TimeMs(-1)};
  return PollStatus::kRecord;
}

ops::Status FileSource::Close() {
  if (closed_ || !assigned_) {
    closed_ = true;
    return ops::Status::Ok();
  }
  closed_ = true;
  const state::TopicPartition tp{topic_, state::Partition(0)};
  return listener_->OnRevoked(std::span(&tp, 1));
}

ops::Result<std::unique_ptr<FileSink>> FileSink::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return ops::Status::IoError(fmt::format("cannot create '{}': {}", dir, ec.message()));
  std::unique_ptr<FileSink> sink(new FileSink());
  const auto open = [&](const char* name, std::FILE** f) -> ops::Status {
    const std::string path = (std::filesystem::path(dir) / name).string();
    *f = std::fopen(path.c_str(), "wb");
    if (*f == nullptr) {
      return ops::Status::IoError(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
    }
    return ops::Status::Ok();
  };
  ENGAGED_RETURN_IF_ERROR(open("segment-changes.ndjson", &sink->segment_changes_));
  ENGAGED_RETURN_IF_ERROR(open("dead-letters.ndjson", &sink->dead_letters_));
  ENGAGED_RETURN_IF_ERROR(open("churn-risk.ndjson", &sink->churn_risk_));
  return sink;
}

FileSink::~FileSink() {
  for (std::FILE* f : {segment_changes_, dead_letters_, churn_risk_}) {
    if (f != nullptr) std::fclose(f);
  }
}

ops::Status FileSink::Emit(OutputStream stream, std::string_view key, std::string_view value,
                           std::span<const Header> headers) {
  line_.clear();
  std::FILE* f = nullptr;
  switch (stream) {
    case OutputStream::kSegmentChanges:
      f = segment_changes_;
      line_.append(value);
      break;
    case OutputStream::kChurnRisk:
      f = churn_risk_;
      line_.append(value);
      break;
    case OutputStream::kDeadLetters: {
      f = dead_letters_;
      processors::JsonWriter w(&line_);
      w.BeginObject().Key("headers").BeginObject();
      for (const Header& h : headers) w.Key(h.key).Value(h.value);
      w.EndObject();
      w.Key("key").Value(key).Key("value").Value(value).EndObject();
      break;
    }
  }
  line_.push_back('\n');
  if (std::fwrite(line_.data(), 1, line_.size(), f) != line_.size()) {
    return ops::Status::IoError(fmt::format("writing output: {}", std::strerror(errno)));
  }
  return ops::Status::Ok();
}

ops::Status FileSink::Flush() {
  for (std::FILE* f : {segment_changes_, dead_letters_, churn_risk_}) {
    if (std::fflush(f) != 0) {
      return ops::Status::IoError(fmt::format("flushing output: {}", std::strerror(errno)));
    }
  }
  return ops::Status::Ok();
}

}  // namespace topologies
