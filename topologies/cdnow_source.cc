#include "topologies/cdnow_source.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "fmt/format.h"
#include "processors/churn/transactions.h"
#include "processors/json_writer.h"

namespace topologies {

ops::Result<std::unique_ptr<CdnowSource>> CdnowSource::Open(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return ops::Status::NotFound(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  }
  std::unique_ptr<CdnowSource> source(
      new CdnowSource(std::filesystem::path(path).filename().string()));
  std::vector<std::pair<int64_t, std::string>> dated;
  std::string line;
  bool seen_content = false;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    auto parsed = processors::churn::ParseCdnowPurchase(line, !seen_content);
    if (!parsed.ok()) {
      return ops::Status::InvalidArgument(
          fmt::format("{}:{}: {}", path, number, parsed.status().message()));
    }
    if (line.find_first_not_of(" \t\r") != std::string::npos) seen_content = true;
    if (!parsed->has_value()) continue;
    const processors::churn::CdnowPurchase& p = **parsed;
    std::string json;
    processors::JsonWriter w(&json);
    w.BeginObject();
    w.Key("customer_id").Value(p.customer_id);
    w.Key("type").Value("purchase");
    w.Key("ts").Value(processors::churn::FormatCalendarDate(p.day) + "T00:00:00Z");
    w.Key("revenue").Value(p.amount);
    w.Key("quantity").Value(p.quantity);
    w.EndObject();
    dated.emplace_back(p.day, std::move(json));
  }
  if (in.bad()) return ops::Status::IoError(fmt::format("reading '{}' failed", path));
  std::stable_sort(dated.begin(), dated.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  source->events_.reserve(dated.size());
  for (auto& [day, json] : dated) source->events_.push_back(std::move(json));
  return source;
}

ops::Result<PollStatus> CdnowSource::Poll(int /*timeout_ms*/) {
  if (closed_ || next_ >= events_.size()) return PollStatus::kEnd;
  if (!assigned_) {
    assigned_ = true;
    const state::TopicPartition tp{topic_, state::Partition(0)};
    auto starts = listener_->OnAssigned(std::span(&tp, 1));
    if (!starts.ok()) return starts.status();
  }
  record_ = InputRecord{.topic = topic_,
                        .partition = state::Partition(0),
                        .offset = state::Offset(static_cast<int64_t>(next_)),
                        .key = {},
                        .value = events_[next_],
                        .timestamp = state::TimeMs(-1)};
  ++next_;
  return PollStatus::kRecord;
}

ops::Status CdnowSource::Close() {
  const bool was_open = !closed_ && assigned_;
  closed_ = true;
  if (!was_open) return ops::Status::Ok();
  const state::TopicPartition tp{topic_, state::Partition(0)};
  return listener_->OnRevoked(std::span(&tp, 1));
}

}  // namespace topologies
