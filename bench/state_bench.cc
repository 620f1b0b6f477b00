// The hot path with RocksDB-backed state and a working set far larger than the
// memory budget (issue #5): every record goes through Topology::Process (decode,
// dedup, update every feature, evaluate segments) against a real state store, with
// commits as engaged run's at-least-once loop makes them (one WriteBatch of the dirty
// customers and the offsets, WAL on; the partitions in turn, and a partition whose
// cache filled alone). Reports records per CPU-second of the whole process (RocksDB's
// flush and compaction threads included) and peak RSS (VmHWM) against the budget,
// and on stderr, whenever RSS grew by 8 MiB, what held the memory then.
// A plain program, not a Google Benchmark: one run is minutes long.
//
//   build/rel/bench/state_bench --customers 10000000 --events 20000000 --budget-mb 1024
//       --dist zipf
//
// Phases:
//  1. load (once per --base directory, in a child process so that its memory is not
//     the measured process's): every customer gets a history of 4–24 events over the
//     28 days before the measured phase, folded by the real FeatureUpdater, written in
//     key order through StoreBatch in large batches, with its expiry timer.
//  2. the measured process opens a hard-linked checkpoint of the base in --dir (so the
//     base can be reused by later runs) and runs --events records through the topology.
// Customers are picked uniformly or by a Zipf law over ranks (--zipf-s, default 0.99
// as in YCSB); ranks map to customer ids through a fixed permutation, so that hot
// customers are spread over the key space as real ids would be.

#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "fmt/format.h"
#include "processors/dedup.h"
#include "processors/features.h"
#include "processors/segments.h"
#include "state/codec.h"
#include "state/store.h"
#include "topologies/config.h"
#include "topologies/partition_task.h"
#include "topologies/state_probe.h"
#include "topologies/timer_days.h"
#include "topologies/topology.h"

namespace {

using topologies::Header;
using topologies::OutputStream;
namespace timer_days = topologies::timer_days;

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

enum class Dist { kUniform, kZipf };

struct Args {
  int64_t customers = 10'000'000;
  int64_t events = 20'000'000;
  int64_t budget_mb = 1024;
  double cache_share = topologies::StateConfig().cache_share;
  bool cache_read_blocks = topologies::StateConfig().cache_read_blocks;
  std::string compression = "none";  // state.compression
  int partitions = 4;
  Dist dist = Dist::kUniform;
  double zipf_s = 0.99;
  int64_t commit_ms = topologies::ProcessingConfig().commit_interval_ms;
  int64_t event_ms = 1;  // event time between two records
  std::string dir = "/tmp/engaged-state-bench";
  std::string base;      // default: <dir>-base-<customers>-<partitions>[-<segments stem>][-wakes]
  std::string segments;  // a config file whose segments replace the two by event count
  // Loaded customers' timers: their expiry only (default), or their next daily wake
  // as the topology would have scheduled it (every customer is then woken at each
  // midnight of the measured phase, within the silence horizon).
  bool load_wakes = false;
};

// A validator of a real number for which `ok` holds; `what` names the accepted values.
CLI::Validator RealWhere(bool (*ok)(double), const std::string& what) {
  return CLI::Validator(
      [ok, what](const std::string& v) {
        double x = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
        if (ec != std::errc() || end != v.data() + v.size() || !ok(x)) {
          return fmt::format("{} is not {}", v, what);
        }
        return std::string();
      },
      what);
}

// Parses the flags; on a bad one prints why and exits 64 (EX_USAGE).
Args Parse(int argc, char** argv) {
  Args a;
  std::string dist = "uniform";
  std::string load_timers = "expiry";
  const CLI::Range positive(int64_t{1}, std::numeric_limits<int64_t>::max());
  CLI::App app{"state_bench: the hot path against RocksDB-backed state"};
  app.add_option("--customers", a.customers)->check(positive);
  app.add_option("--events", a.events)->check(positive);
  app.add_option("--budget-mb", a.budget_mb)->check(positive);
  app.add_option("--cache-share", a.cache_share, "of the budget, for the write-back caches")
      ->check(RealWhere([](double x) { return x > 0 && x < 1; }, "in (0, 1)"));
  app.add_option("--cache-read-blocks", a.cache_read_blocks, "0 or 1: state.cache_read_blocks");
  app.add_option("--compression", a.compression, "state.compression")
      ->check(CLI::IsMember({"none", "lz4", "zstd"}));
  app.add_option("--partitions", a.partitions)->check(positive);
  app.add_option("--dist", dist)->check(CLI::IsMember({"uniform", "zipf"}));
  app.add_option("--zipf-s", a.zipf_s)
      ->check(RealWhere([](double x) { return x > 0 && x != 1; }, "> 0 and != 1"));
  app.add_option("--commit-ms", a.commit_ms)->check(positive);
  app.add_option("--event-ms", a.event_ms, "event time between two records")
      ->check(CLI::Range(int64_t{0}, std::numeric_limits<int64_t>::max()));
  app.add_option("--dir", a.dir);
  app.add_option("--base", a.base,
                 "default: <dir>-base-<customers>-<partitions>[-<segments stem>][-wakes]");
  app.add_option("--segments", a.segments, "a config whose segments replace the default two")
      ->check(CLI::ExistingFile);
  app.add_option("--load-timers", load_timers)->check(CLI::IsMember({"expiry", "wakes"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    std::exit(rc == 0 ? 0 : 64);
  }
  a.dist = dist == "zipf" ? Dist::kZipf : Dist::kUniform;
  a.load_wakes = load_timers == "wakes";
  // The base holds each customer's segment, so it depends on the segments too.
  if (a.base.empty()) {
    a.base = fmt::format(
        "{}-base-{}-{}{}{}", a.dir, a.customers, a.partitions,
        a.segments.empty() ? "" : "-" + std::filesystem::path(a.segments).stem().string(),
        a.load_wakes ? "-wakes" : "");
  }
  return a;
}

double CpuSeconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// A field of /proc/self/status in MiB (VmRSS, VmHWM).
double ProcStatusMb(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':') {
      return std::atof(line.c_str() + field.size() + 1) / 1024.0;  // kB
    }
  }
  return 0;
}

constexpr double kMb = 1024.0 * 1024.0;
// A thread looks at RSS this often (reading /proc/self/status takes about 30 us, so
// 0.3 % of a core), and reports where the memory is when RSS grew by at least this
// much over the last report.
constexpr auto kPeakCheckEvery = std::chrono::milliseconds(10);
constexpr double kPeakStepMb = 8;
constexpr int64_t kT0 = 1700000000000;  // event time of the measured phase's first record
constexpr int64_t kHistoryMs = int64_t{28} * state::kMsPerDay;
constexpr int kLoadBatchCustomers = 20'000;
// Events in a loaded customer's history, uniformly: a mean encoded state of about 300 B.
constexpr int kMinHistory = 8;
constexpr int kMaxHistory = 40;

// Customer ids are fixed-width so that numeric order is key order (the load writes
// sorted keys); they look like ids of real systems ("c000012345").
constexpr int kIdDigits = 9;
void AppendCustomerId(int64_t c, std::string* out) {
  char digits[kIdDigits];
  for (int i = kIdDigits - 1; i >= 0; --i, c /= 10) digits[i] = static_cast<char>('0' + c % 10);
  out->push_back('c');
  out->append(digits, kIdDigits);
}
std::string CustomerId(int64_t c) {
  std::string id;
  AppendCustomerId(c, &id);
  return id;
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

// One flat-format record, built without a formatting library: the generator's cost is
// the benchmark harness's, not engaged's, and it runs on the measured thread.
void MakeRecord(int64_t customer, std::string_view type, int64_t ts, int64_t event,
                std::string* out) {
  out->assign(R"({"customer_id":")");
  AppendCustomerId(customer, out);
  out->append(R"(","type":")");
  out->append(type);
  out->append(R"(","ts":)");
  AppendInt(ts, out);
  out->append(R"(,"event_id":"e)");
  AppendInt(event, out);
  out->append(R"("})");
}

// Zipf over ranks 0..n-1 with exponent s (Gray et al., "Quickly generating
// billion-record synthetic databases", 1994; as YCSB's ZipfianGenerator).
class Zipf {
 public:
  Zipf(int64_t n, double s) : n_(n), s_(s) {
    double zeta_n = 0;
    for (int64_t i = 1; i <= n; ++i) zeta_n += std::pow(static_cast<double>(i), -s);
    const double zeta_2 = 1 + std::pow(2.0, -s);
    alpha_ = 1 / (1 - s);
    zeta_n_ = zeta_n;
    eta_ = (1 - std::pow(2.0 / static_cast<double>(n), 1 - s)) / (1 - zeta_2 / zeta_n);
  }
  int64_t operator()(std::mt19937_64& rng) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const double uz = u * zeta_n_;
    if (uz < 1) return 0;
    if (uz < 1 + std::pow(0.5, s_)) return 1;
    const auto r =
        static_cast<int64_t>(static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1, alpha_));
    return std::min(r, n_ - 1);
  }

 private:
  int64_t n_;
  double s_, alpha_ = 0, zeta_n_ = 0, eta_ = 0;
};

// A bijection of [0, n): rank -> customer, so that hot ranks are spread over the keys.
int64_t Scatter(int64_t rank, int64_t n) {
  constexpr uint64_t kPrime = 2654435761;  // coprime with any n not a multiple of it
  return static_cast<int64_t>((static_cast<unsigned __int128>(rank) * kPrime + 12345) %
                              static_cast<uint64_t>(n));
}

constexpr processors::EventType kMix[] = {
    processors::EventType::kPageView,    processors::EventType::kPageView,
    processors::EventType::kProductView, processors::EventType::kClick,
    processors::EventType::kImpression,  processors::EventType::kSearch,
    processors::EventType::kAddToCart,   processors::EventType::kEmailOpen,
};
constexpr std::string_view kTypeNames[] = {"page_view",  "page_view", "product_view", "click",
                                           "impression", "search",    "add_to_cart",  "email_open"};
static_assert(std::size(kMix) == std::size(kTypeNames));

// Phase 1, in a child process. Returns the exit status.
int Load(const Args& args, const topologies::Config& config) {
  std::filesystem::remove_all(args.base);
  state::StoreOptions options = topologies::StoreOptionsFor(config.state);
  options.dir = args.base;
  auto store = state::Store::Open(options);
  if (!store.ok()) {
    fmt::print(stderr, "{}\n", store.status().ToString());
    return 1;
  }
  processors::FeatureUpdater features(config.features);
  const processors::SegmentLadder ladder(config.segments, config.features);
  std::mt19937_64 rng(11);
  const double cpu0 = CpuSeconds(RUSAGE_SELF);
  const auto wall0 = std::chrono::steady_clock::now();
  int64_t encoded_bytes = 0, events = 0, written = 0;
  std::string scratch;
  state::StoreBatch batch = (*store)->NewBatch();
  // With --load-timers wakes, each customer's next timer is the one the topology would
  // hold had it run up to the measured phase: its wake chain's next link after the
  // last midnight before kT0 (or its expiry), as a restore from the changelog sets it.
  const state::TimeMs fired_through = timer_days::MidnightAtOrBefore(state::TimeMs(kT0));
  // RestoredTimer reads the config and whether silent customers are woken (segments,
  // churn) only.
  topologies::TaskContext ctx{};
  ctx.config = &config;
  ctx.ladder = &ladder;
  for (int p = 0; p < args.partitions; ++p) {
    if (args.load_wakes) batch.PutFiredThrough(state::Partition(p), fired_through);
    for (int64_t c = p; c < args.customers; c += args.partitions) {
      const std::string id = CustomerId(c);
      state::CustomerState s;
      const int n = kMinHistory + static_cast<int>(rng() % (kMaxHistory - kMinHistory + 1));
      int64_t t = kT0 - kHistoryMs + static_cast<int64_t>(rng() % (kHistoryMs / 2));
      for (int i = 0; i < n; ++i) {
        t += static_cast<int64_t>(rng() % (kHistoryMs / 2 / n));
        const std::string event_id = fmt::format("l{}-{}", c, i);
        processors::Event e;
        e.customer_id = id;
        e.event_id = event_id;
        e.type = kMix[rng() % std::size(kMix)];
        e.time = state::TimeMs(t);
        processors::Remember(s.recent_ids, processors::HashEventId(event_id), e.time,
                             config.input.dedup_horizon_ms);
        features.Apply(e, s);
      }
      events += n;
      // The segment the topology would have put the customer in by now: at its last
      // event, or (wakes) at the last midnight before the measured phase.
      const state::TimeMs as_of =
          args.load_wakes ? std::max(s.last_seen, fired_through) : s.last_seen;
      if (const auto d = ladder.Evaluate(s, as_of);
          d.move == processors::SegmentMove::kMove && d.to != nullptr) {
        s.segment = d.to->name;
        s.segment_entered_at = as_of;
      }
      batch.PutCustomer(state::Partition(p), id, s);
      if (!args.load_wakes) {
        batch.PutTimer(state::Partition(p),
                       timer_days::ExpiryDue(s.last_seen, config.state.retention_ms), id);
      } else if (const auto due =
                     topologies::PartitionTask::RestoredTimer(ctx, s.last_seen, fired_through)) {
        batch.PutTimer(state::Partition(p), *due, id);
      }
      scratch.clear();
      state::EncodeCustomer(s, &scratch);
      encoded_bytes += static_cast<int64_t>(scratch.size());
      if (++written % kLoadBatchCustomers == 0) {
        if (auto st = (*store)->Write(batch); !st.ok()) {
          fmt::print(stderr, "{}\n", st.ToString());
          return 1;
        }
      }
      if (written % 1'000'000 == 0) fmt::print(stderr, "loaded {} customers\n", written);
    }
  }
  if (auto st = (*store)->Write(batch); !st.ok()) return 1;
  if (auto st = (*store)->Flush(); !st.ok()) return 1;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  fmt::print(
      "load: {} customers ({} history events) in {:.1f} s wall, {:.1f} CPU-s -> {:.0f} "
      "customers/s; mean encoded state {:.0f} B\n",
      written, events, wall, CpuSeconds(RUSAGE_SELF) - cpu0, static_cast<double>(written) / wall,
      static_cast<double>(encoded_bytes) / static_cast<double>(written));
  return 0;
}

// Phase 1 when the base is missing, then the hard-linked copy in --dir; in a child
// process so that none of it counts in the measured process's peak RSS.
bool PrepareStateDir(const Args& args, const topologies::Config& config) {
  const pid_t child = fork();
  if (child < 0) return false;
  if (child == 0) {
    if (!std::filesystem::exists(args.base / std::filesystem::path("CURRENT")) ||
        !std::filesystem::exists(args.base + "/LOADED")) {
      const int rc = Load(args, config);
      std::fflush(stdout);
      if (rc != 0) _exit(rc);
      std::ofstream(args.base + "/LOADED") << "ok\n";
    } else {
      fmt::print("load: reusing {}\n", args.base);
    }
    std::filesystem::remove_all(args.dir);
    auto base = state::Store::Open({.dir = args.base, .memory_bytes = size_t{64} << 20});
    const bool ok = base.ok() && (*base)->Checkpoint(args.dir).ok();
    std::fflush(stdout);
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Where the process's memory is, for the end of the run and whenever the peak grows.
std::string MemoryLine(state::Store& store, const topologies::CacheCounters& cc) {
  const state::StoreStats st = store.Stats();
  const auto mi = mallinfo2();
  return fmt::format(
      "RSS {:.0f} MiB (peak {:.0f}); block cache {:.0f} of {:.0f} MiB (pinned {:.0f}, memtables "
      "{:.0f}); table readers outside the cache {:.1f} MiB; write-back caches {:.0f} MiB; malloc "
      "in use {:.0f} MiB, free in arenas {:.0f} MiB; pending compaction {:.0f} MiB",
      ProcStatusMb("VmRSS"), ProcStatusMb("VmHWM"),
      static_cast<double>(st.block_cache_usage_bytes) / kMb,
      static_cast<double>(st.block_cache_capacity_bytes) / kMb,
      static_cast<double>(st.block_cache_pinned_bytes) / kMb,
      static_cast<double>(st.memtable_bytes) / kMb,
      static_cast<double>(st.table_readers_bytes) / kMb, static_cast<double>(cc.bytes.load()) / kMb,
      static_cast<double>(mi.uordblks + mi.hblkhd) / kMb, static_cast<double>(mi.fordblks) / kMb,
      static_cast<double>(st.pending_compaction_bytes) / kMb);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  topologies::Config config;
  config.state.dir = args.dir;
  config.state.memory_budget_bytes = args.budget_mb << 20;
  config.state.cache_share = args.cache_share;
  config.state.cache_read_blocks = args.cache_read_blocks;
  config.state.compression = *state::CompressionNamed(args.compression);  // checked by Parse
  config.segments = {{"active", 5}, {"engaged", 20}};
  if (!args.segments.empty()) {
    // E.g. examples/lifecycle.yaml: segments of silence, which midnights move.
    const topologies::ConfigLoad load = topologies::LoadConfigFile(args.segments);
    if (!load.ok()) {
      for (const auto& e : load.errors) fmt::print(stderr, "{}: {}\n", args.segments, e.message);
      return 64;
    }
    config.segments = load.config.segments;
  }
  config.processing.idle_timer_ms = 0;
  config.processing.commit_interval_ms = args.commit_ms;
  if (!PrepareStateDir(args, config)) {
    fmt::print(stderr, "preparing the state directory failed\n");
    return 1;
  }
  const double rss_before_open = ProcStatusMb("VmRSS");
  auto store = state::Store::Open(topologies::StoreOptionsFor(config.state));
  if (!store.ok()) {
    fmt::print(stderr, "{}\n", store.status().ToString());
    return 1;
  }
  NullSink sink;
  topologies::TopologyProbe probe;
  int64_t now = kT0;
  topologies::Topology topology(&config, store->get(), &sink, &probe,
                                [&now] { return state::TimeMs(now + 3'600'000); });
  std::vector<state::TopicPartition> tps;
  for (int p = 0; p < args.partitions; ++p) tps.push_back({"bench", state::Partition(p)});
  if (!topology.OnAssigned(tps).ok()) return 1;

  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> uniform(0, args.customers - 1);
  std::optional<Zipf> zipf;
  if (args.dist == Dist::kZipf) zipf.emplace(args.customers, args.zipf_s);
  std::string value;
  std::vector<int64_t> offsets(static_cast<size_t>(args.partitions), 0);
  int64_t commits = 0;
  int64_t wake_commits = 0;  // of those, commits a midnight's wakes asked for mid-record
  std::atomic<bool> committing = false;
  std::atomic<int64_t> done = 0;
  // Says what held the memory whenever the peak grew, so that a peak over the budget
  // can be traced to the cache or buffer that made it.
  std::jthread peak_watch([&](const std::stop_token& stop) {
    double reported = 0;
    while (!stop.stop_requested()) {
      if (const double rss = ProcStatusMb("VmRSS"); rss >= reported + kPeakStepMb) {
        reported = rss;
        fmt::print(stderr, "{} events{}: {}\n", done.load(), committing ? " (committing)" : "",
                   MemoryLine(**store, topology.cache_counters()));
      }
      std::this_thread::sleep_for(kPeakCheckEvery);
    }
  });
  const double cpu0 = CpuSeconds(RUSAGE_SELF);
  const double thread_cpu0 = CpuSeconds(RUSAGE_THREAD);
  const auto wall0 = std::chrono::steady_clock::now();
  const auto interval = std::chrono::milliseconds(args.commit_ms);
  auto next_commit = wall0 + interval / args.partitions;
  for (int64_t i = 0; i < args.events; ++i) {
    const int64_t c = zipf ? Scatter((*zipf)(rng), args.customers) : uniform(rng);
    now = kT0 + i * args.event_ms;
    done.store(i, std::memory_order_relaxed);
    MakeRecord(c, kTypeNames[static_cast<size_t>(i) % std::size(kTypeNames)], now, i, &value);
    const auto p = static_cast<size_t>(c % args.partitions);
    const topologies::InputRecord r{.topic = "bench",
                                    .partition = state::Partition(static_cast<int32_t>(p)),
                                    .offset = state::Offset(offsets[p]++),
                                    .key = {},
                                    .value = value,
                                    .timestamp = state::TimeMs(now)};
    // As engaged run's poll loop commits at-least-once (topologies/runner.cc): the
    // partitions in turn, each once per interval, and out of turn a partition whose
    // cache filled, alone.
    const auto commit = [&](bool full) {
      committing = true;
      const auto committed = full ? topology.CommitFull(topologies::StoreWrite::kWait)
                                  : topology.CommitNext(topologies::StoreWrite::kWait);
      committing = false;
      if (!committed.ok()) fmt::print(stderr, "{}\n", committed.status().ToString());
      ++commits;
      if (!full) next_commit = std::chrono::steady_clock::now() + interval / args.partitions;
      return committed.ok();
    };
    auto processed = topology.Process(r);
    // A midnight's wakes filled a cache: commit, and process the record again.
    while (processed.ok() && *processed == topologies::Processed::kCommitFirst) {
      if (!commit(true)) return 1;
      ++wake_commits;
      processed = topology.Process(r);
    }
    if (!processed.ok()) {
      fmt::print(stderr, "{}\n", processed.status().ToString());
      return 1;
    }
    if (topology.NeedsCommit()) {
      if (!commit(true)) return 1;
    } else if (i % 1024 == 0 && std::chrono::steady_clock::now() >= next_commit) {
      if (!commit(false)) return 1;
    }
  }
  if (!topology.Commit().ok()) return 1;
  peak_watch.request_stop();
  peak_watch.join();
  const double cpu = CpuSeconds(RUSAGE_SELF) - cpu0;
  const double thread_cpu = CpuSeconds(RUSAGE_THREAD) - thread_cpu0;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const state::StoreStats st = (*store)->Stats();
  const auto& cc = topology.cache_counters();
  const double hits = static_cast<double>(cc.hits.load());
  const double lookups = hits + static_cast<double>(cc.misses.load());
  const double peak = ProcStatusMb("VmHWM");
  const double budget = static_cast<double>(args.budget_mb);
  fmt::print(
      "command: {} --customers {} --events {} --budget-mb {} --cache-share {} "
      "--cache-read-blocks {} --compression {} --partitions {} --dist {} --zipf-s {} "
      "--commit-ms {} --event-ms {} --dir {} --base {}{}{}\n",
      argv[0], args.customers, args.events, args.budget_mb, args.cache_share,
      args.cache_read_blocks ? 1 : 0, args.compression, args.partitions,
      args.dist == Dist::kZipf ? "zipf" : "uniform", args.zipf_s, args.commit_ms, args.event_ms,
      args.dir, args.base, args.segments.empty() ? "" : " --segments " + args.segments,
      args.load_wakes ? " --load-timers wakes" : "");
  fmt::print(
      "events: {}  commits: {} ({} in a midnight's wakes)  estimated keys in store: {}  live "
      "SST: {:.0f} MB\n",
      args.events, commits, wake_commits, st.estimated_customers,
      static_cast<double>(st.live_sst_bytes) / 1e6);
  fmt::print(
      "wall: {:.1f} s -> {:.0f} events/s   process CPU: {:.1f} s -> {:.0f} events per "
      "CPU-second   processing thread CPU: {:.1f} s -> {:.0f} events per thread-CPU-second\n",
      wall, static_cast<double>(args.events) / wall, cpu, static_cast<double>(args.events) / cpu,
      thread_cpu, static_cast<double>(args.events) / thread_cpu);
  fmt::print(
      "peak RSS (VmHWM): {:.0f} MiB   budget: {} MiB   ratio: {:.3f}   (RSS before opening the "
      "store: {:.0f} MiB)\n",
      peak, args.budget_mb, peak / budget, rss_before_open);
  fmt::print("memory at the end: {}\n", MemoryLine(**store, cc));
  fmt::print(
      "write-back cache hit ratio: {:.3f}   block cache hit ratio: {:.3f}   segment changes: {}  "
      "stalls: {:.1f} s\n",
      lookups > 0 ? hits / lookups : 0.0,
      static_cast<double>(st.block_cache_hits) /
          static_cast<double>(std::max<uint64_t>(1, st.block_cache_hits + st.block_cache_misses)),
      sink.emitted, static_cast<double>(st.stall_micros) / 1e6);
  fmt::print(
      "wake timers fired: {}   written ahead of their commit: {}   most held by a task: {}\n",
      topology.counters().timers_fired, topology.counters().timers_spilled,
      topology.counters().timers_held_peak);
  store->reset();
  std::filesystem::remove_all(args.dir);
  return 0;
}
