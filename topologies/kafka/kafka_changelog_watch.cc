// ChangelogWatch: the changelog topic's configs, checked again while engaged runs.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "topologies/config.h"
#include "topologies/kafka/internal.h"
#include "topologies/kafka/kafka_probe.h"

namespace topologies::kafka {
namespace {

class KafkaChangelogWatch final : public ChangelogWatch {
 public:
  KafkaChangelogWatch(const ChangelogWatchOptions& options, HandlePtr admin)
      : options_(options), admin_(std::move(admin)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~KafkaChangelogWatch() override {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  KafkaChangelogWatch(const KafkaChangelogWatch&) = delete;
  KafkaChangelogWatch& operator=(const KafkaChangelogWatch&) = delete;

 private:
  // Checks at once (the gauge then tells the truth from the start), then every interval.
  void Run() {
    Check();
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(options_.interval_ms),
                         [this] { return done_; })) {
      lock.unlock();
      Check();
      lock.lock();
    }
  }

  void Check() {
    auto configs = TopicConfigs(admin_.get(), options_.topic, options_.timeout_ms);
    if (!configs.ok()) {
      if (options_.probe != nullptr) options_.probe->OnChangelogCheckFailed();
      KafkaLog().Warn("cannot read the changelog topic's configs; checking again later",
                      {{"topic", options_.topic},
                       {"error", configs.status().ToString()},
                       {"interval_ms", options_.interval_ms}});
      return;
    }
    const ChangelogTopicConfigs checked = ReadChangelogTopicConfigs(options_.topic, *configs);
    if (options_.probe != nullptr) options_.probe->SetChangelogCompacted(checked.problem.empty());
    if (!checked.problem.empty()) {
      KafkaLog().Error("the changelog topic stopped being compacted: " + checked.problem,
                       {{"topic", options_.topic}});
    }
    if (options_.on_delete_retention) options_.on_delete_retention(checked.delete_retention_ms);
  }

  const ChangelogWatchOptions options_;
  HandlePtr admin_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace

ops::Result<std::unique_ptr<ChangelogWatch>> StartChangelogWatch(
    const ChangelogWatchOptions& options) {
  if (options.interval_ms <= 0 || options.topic.empty()) {
    return ops::Status::InvalidArgument("the changelog watch needs a topic and an interval > 0");
  }
  auto admin = OpenAdmin(options.properties);
  if (!admin.ok()) return admin.status();
  return std::unique_ptr<ChangelogWatch>(
      std::make_unique<KafkaChangelogWatch>(options, std::move(admin).value()));
}

}  // namespace topologies::kafka
