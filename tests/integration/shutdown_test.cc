// SIGTERM while a producer keeps writing: /readyz answers 503 while engaged is still
// finishing (before it exits), the process exits 0 within the grace period, and after
// a restart every produced event is counted exactly once.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <mutex>
#include <thread>

#include "tests/integration/harness.h"

namespace integration {
namespace {

constexpr int kCustomers = 100;
constexpr int kEventsPerBurst = 50;
constexpr int kBurstPauseMs = 20;  // about 2,500 events/s
constexpr int kGraceMs = 20000;    // MakeConfig's processing.shutdown_grace_ms
constexpr int kReadyTimeoutMs = 30000;
constexpr int kCountsTimeoutMs = 60000;

using Clock = std::chrono::steady_clock;

bool WaitReady(int port, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string body;
  while (HttpGet(port, "/readyz", &body) != 200) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// What /readyz answered between SIGTERM and the process's exit.
struct ReadinessAfterSignal {
  int ok = 0;           // 200s (only possible before the signal thread set the stop flag)
  int unavailable = 0;  // 503s
  bool ok_after_unavailable = false;
};

ReadinessAfterSignal PollReadinessUntilExit(int port, testutil::Process& process) {
  ReadinessAfterSignal seen;
  while (process.running()) {
    std::string body;
    const int code = HttpGet(port, "/readyz", &body);
    if (code == 200) {
      ++seen.ok;
      seen.ok_after_unavailable |= seen.unavailable > 0;
    } else if (code == 503) {
      ++seen.unavailable;
    } else if (code == 0) {
      break;  // the HTTP server is gone: the process is about to exit
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return seen;
}

TEST(ShutdownTest, SigtermUnderLoadFailsReadinessExitsCleanlyAndLosesNothing) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "shutdown", 3);
  testutil::TempDir dir;
  const int port = FreePort();
  const std::string config = MakeConfig(bootstrap, topics, dir.File("state"), port);

  std::mutex mu;
  std::map<std::string, int64_t> produced;  // guarded by mu
  std::atomic<bool> producing{true};
  std::thread producer([&] {
    testutil::KafkaClient p(bootstrap);
    for (int i = 0; producing.load(); ++i) {
      const std::string id = "s" + std::to_string(i % kCustomers);
      p.Produce(topics.input, id,
                R"({"customer_id":")" + id + R"(","type":"click","ts":)" +
                    std::to_string(1700000000000LL + i) + "}");
      {
        std::lock_guard lock(mu);
        ++produced[id];
      }
      if (i % kEventsPerBurst == kEventsPerBurst - 1) {
        std::this_thread::sleep_for(std::chrono::milliseconds(kBurstPauseMs));
      }
    }
    p.Flush();
  });

  auto first = std::make_unique<Engaged>(dir, config, "engaged-0");
  ASSERT_TRUE(WaitReady(port, kReadyTimeoutMs)) << first->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // mid-stream

  const auto signalled = Clock::now();
  first->process().Signal(SIGTERM);
  const ReadinessAfterSignal seen = PollReadinessUntilExit(port, first->process());
  const int exit_code = first->process().Wait(kGraceMs);
  const auto took_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - signalled).count();
  const std::string log = first->log();
  EXPECT_EQ(exit_code, 0) << log;
  EXPECT_LT(took_ms, kGraceMs) << "exits within the grace period";
  EXPECT_GT(seen.unavailable, 0) << "/readyz answered 503 while engaged was finishing";
  EXPECT_FALSE(seen.ok_after_unavailable) << "readiness never comes back once lost";
  // The same order, from engaged's side: readiness is lost first, the final commit
  // and the consumer close come after it.
  const size_t not_ready = log.find("not ready any more");
  const size_t stopped = log.find("engaged stopped cleanly");
  ASSERT_NE(not_ready, std::string::npos) << log;
  ASSERT_NE(stopped, std::string::npos) << log;
  EXPECT_LT(not_ready, stopped);
  EXPECT_EQ(log.find("did not close in time"), std::string::npos)
      << "a lone instance's consumer closes without the bound (KafkaSource::CloseConsumer)";
  std::printf("shutdown: exit=%d in %lld ms; /readyz after SIGTERM: %d x 200, %d x 503\n",
              exit_code, static_cast<long long>(took_ms), seen.ok, seen.unavailable);

  // The producer kept writing the whole time; a new instance picks up from the commit.
  auto second = std::make_unique<Engaged>(dir, config, "engaged-1");
  ASSERT_TRUE(WaitReady(port, kReadyTimeoutMs)) << second->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  producing = false;
  producer.join();
  ASSERT_TRUE(WaitForCounts(port, produced, kCountsTimeoutMs)) << second->log();
  ASSERT_EQ(second->Terminate(), 0) << second->log();

  int64_t total = 0;
  for (const auto& [id, n] : produced) {
    ASSERT_EQ(InspectEventsTotal(dir.File("state"), id), n) << id;
    total += n;
  }
  std::printf("shutdown: %lld events over %zu customers, all counted once after restart\n",
              static_cast<long long>(total), produced.size());
}

}  // namespace
}  // namespace integration
