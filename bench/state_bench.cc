// The hot path with RocksDB-backed state and a working set far larger than the
// memory budget: every record goes through Topology::Process (decode, dedup, update
// every feature, evaluate segments) against a real state store, with commits.
// Reports records per CPU-second and per wall-second, and peak RSS against the
// configured budget. A plain program, not a Google Benchmark: one run is minutes long.
//
//   build/bench/state_bench --customers 10000000 --events 20000000 --budget-mb 1024

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "fmt/format.h"
#include "state/store.h"
#include "topologies/config.h"
#include "topologies/topology.h"

namespace {

using topologies::Header;
using topologies::OutputStream;

class NullSink final : public topologies::Sink {
 public:
  ops::Status Emit(OutputStream, std::string_view, std::string_view,
                   std::span<const Header>) override {
    ++emitted;
    return ops::Status::Ok();
  }
  ops::Status Flush() override { return ops::Status::Ok(); }
  int64_t emitted = 0;
};

struct Args {
  int64_t customers = 10'000'000;
  int64_t events = 20'000'000;
  int64_t budget_mb = 1024;
  int partitions = 4;
  std::string dir = "/tmp/engaged-state-bench";
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--customers")
      a.customers = std::atoll(v);
    else if (k == "--events")
      a.events = std::atoll(v);
    else if (k == "--budget-mb")
      a.budget_mb = std::atoll(v);
    else if (k == "--partitions")
      a.partitions = std::atoi(v);
    else if (k == "--dir")
      a.dir = v;
    else {
      fmt::print(stderr, "unknown flag {}\n", k);
      std::exit(64);
    }
  }
  return a;
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

constexpr std::string_view kTypes[] = {"page_view", "product_view", "click",    "impression",
                                       "search",    "add_to_cart",  "purchase", "email_open"};

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  std::filesystem::remove_all(args.dir);
  topologies::Config config;
  config.state.dir = args.dir;
  config.state.memory_budget_bytes = args.budget_mb << 20;
  config.segments = {{"active", 5}, {"engaged", 20}};
  config.processing.idle_timer_ms = 0;
  auto store = state::Store::Open(
      {.dir = args.dir, .memory_bytes = topologies::StoreMemoryBytes(config.state)});
  if (!store.ok()) {
    fmt::print(stderr, "{}\n", store.status().ToString());
    return 1;
  }
  NullSink sink;
  topologies::TopologyProbe probe;
  const int64_t t0 = 1700000000000;
  int64_t now = t0;
  topologies::Topology topology(&config, store->get(), &sink, &probe,
                                [&now] { return state::TimeMs(now + 3'600'000); });
  std::vector<state::TopicPartition> tps;
  for (int p = 0; p < args.partitions; ++p) tps.push_back({"bench", state::Partition(p)});
  if (!topology.OnAssigned(tps).ok()) return 1;

  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> customer(0, args.customers - 1);
  std::string value;
  std::vector<int64_t> offsets(static_cast<size_t>(args.partitions), 0);
  const double cpu0 = CpuSeconds();
  const auto wall0 = std::chrono::steady_clock::now();
  auto next_commit = wall0 + std::chrono::seconds(1);
  for (int64_t i = 0; i < args.events; ++i) {
    const int64_t c = customer(rng);
    now = t0 + i;  // 1 ms of event time per record
    value = fmt::format(R"({{"customer_id":"c{}","type":"{}","ts":{},"event_id":"e{}"}})", c,
                        kTypes[static_cast<size_t>(i) % std::size(kTypes)], now, i);
    const auto p = static_cast<size_t>(c % args.partitions);
    const topologies::InputRecord r{.topic = "bench",
                                    .partition = state::Partition(static_cast<int32_t>(p)),
                                    .offset = state::Offset(offsets[p]++),
                                    .key = {},
                                    .value = value,
                                    .timestamp = state::TimeMs(now)};
    if (auto s = topology.Process(r); !s.ok()) {
      fmt::print(stderr, "{}\n", s.ToString());
      return 1;
    }
    if (topology.NeedsCommit() ||
        (i % 4096 == 0 && std::chrono::steady_clock::now() >= next_commit)) {
      if (auto s = topology.Commit(); !s.ok()) {
        fmt::print(stderr, "{}\n", s.status().ToString());
        return 1;
      }
      next_commit = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }
    if (i > 0 && i % 2'000'000 == 0) {
      fmt::print(stderr, "{} events, {:.0f} MB peak RSS\n", i, PeakRssMb());
    }
  }
  if (!topology.Commit().ok()) return 1;
  const double cpu = CpuSeconds() - cpu0;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const state::StoreStats st = (*store)->Stats();
  fmt::print(
      "command: {} --customers {} --events {} --budget-mb {} --partitions {}\n"
      "events: {}  customers: {}  estimated keys in store: {}  live SST: {:.0f} MB\n"
      "wall: {:.1f} s -> {:.0f} events/s   cpu: {:.1f} s -> {:.0f} events per CPU-second\n"
      "peak RSS: {:.0f} MB   budget: {} MB   ratio: {:.2f}\n"
      "segment changes: {}  block cache hit ratio: {:.3f}\n",
      argv[0], args.customers, args.events, args.budget_mb, args.partitions, args.events,
      args.customers, st.estimated_customers, static_cast<double>(st.live_sst_bytes) / 1e6, wall,
      static_cast<double>(args.events) / wall, cpu, static_cast<double>(args.events) / cpu,
      PeakRssMb(), args.budget_mb, PeakRssMb() / static_cast<double>(args.budget_mb), sink.emitted,
      static_cast<double>(st.block_cache_hits) /
          static_cast<double>(std::max<uint64_t>(1, st.block_cache_hits + st.block_cache_misses)));
  return 0;
}
