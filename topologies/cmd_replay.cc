#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "fmt/format.h"
#include "ops/log.h"
#include "ops/progress.h"
#include "processors/json_writer.h"
#include "state/store.h"
#include "topologies/cdnow_source.h"
#include "topologies/churn_models.h"
#include "topologies/clock.h"
#include "topologies/commands.h"
#include "topologies/config_check.h"
#include "topologies/file_io.h"
#include "topologies/runner.h"
#include "topologies/topology.h"

namespace topologies {
namespace {

// A directory under $TMPDIR, removed when this goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "engaged-replay-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The size of a regular input file, for the ETA; 0 for stdin or when unknown.
int64_t InputSize(const std::string& path) {
  std::error_code ec;
  if (path == "-" || !std::filesystem::is_regular_file(path, ec)) return 0;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

std::string SummaryJson(const TopologyCounters& c, double seconds) {
  std::string out;
  processors::JsonWriter w(&out);
  w.BeginObject();
  w.Key("events_in").Value(c.events_in);
  w.Key("events_valid").Value(c.events_valid);
  w.Key("events_invalid").BeginObject();
  for (int i = 0; i < processors::kInvalidReasonCount; ++i) {
    const int64_t n = c.invalid[static_cast<size_t>(i)];
    if (n > 0)
      w.Key(processors::InvalidReasonName(static_cast<processors::InvalidReason>(i))).Value(n);
  }
  w.EndObject();
  w.Key("events_duplicate").Value(c.duplicates);
  w.Key("events_ignored").Value(c.ignored);
  w.Key("segment_changes").Value(c.segment_changes);
  w.Key("churn_events").Value(c.churn_events);
  w.Key("customers_expired").Value(c.expired_customers);
  w.Key("duration_s").Value(seconds);
  w.EndObject();
  out.push_back('\n');
  return out;
}

// `progress` is fed by NDJSON input; a CDNOW log is read whole when it is opened.
ops::Result<std::unique_ptr<Source>> OpenReplaySource(const ReplayArgs& args,
                                                      ops::Progress* progress) {
  if (args.format == "cdnow") {
    auto cdnow = CdnowSource::Open(args.input);
    if (!cdnow.ok()) return cdnow.status();
    return std::unique_ptr<Source>(std::move(cdnow).value());
  }
  auto file = FileSource::Open(args.input);
  if (!file.ok()) return file.status();
  (*file)->SetProgress(progress);
  return std::unique_ptr<Source>(std::move(file).value());
}

}  // namespace

int ReplayCommand(const ReplayArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  auto load = LoadConfigOrReport(args.config_path);
  if (!load) return kExitConfig;
  Config* config = &load->config;
  ops::SetLogLevel(config->log_level);
  const ops::Logger log("replay");

  TempDir temp;
  const std::string state_dir = args.state_dir.empty() ? temp.path() : args.state_dir;
  if (state_dir.empty()) {
    fmt::print(stderr, "engaged replay: cannot create a temporary state directory\n");
    return kExitFailure;
  }
  // Replays fire timers by stream time only, so the same input always gives the same
  // output.
  config->processing.idle_timer_ms = 0;
  config->state.dir = state_dir;
  config->state.sync_commits = false;
  auto store = state::Store::Open(StoreOptionsFor(config->state));
  ops::Progress progress({.label = "replay",
                          .total_bytes = InputSize(args.input),
                          .enabled = ops::StderrIsInteractive()});
  auto source = OpenReplaySource(args, &progress);
  auto sink = FileSink::Open(args.out_dir);
  for (const ops::Status* s : {&store.status(), &source.status(), &sink.status()}) {
    if (!s->ok()) {
      fmt::print(stderr, "engaged replay: {}\n", s->ToString());
      return kExitFailure;
    }
  }
  std::unique_ptr<ChurnModels> churn;
  if (ChurnEnabled(*config)) {
    auto loaded = ChurnModels::Load(config->churn);
    if (!loaded.ok()) {
      fmt::print(stderr, "engaged replay: {}\n", loaded.status().ToString());
      return kExitFailure;
    }
    churn = std::move(loaded).value();
  }
  TopologyProbe probe;
  Topology topology(&*config, store->get(), sink->get(), &probe, SystemNow, churn.get());
  Runner runner(&config->processing, source->get(), &topology, SystemNow);
  const std::atomic<bool> never_stop{false};
  if (auto s = runner.Run(never_stop); !s.ok()) {
    fmt::print(stderr, "engaged replay: {}\n", s.ToString());
    return kExitFailure;
  }
  const double seconds = SecondsSince(start);
  const std::string summary = SummaryJson(topology.counters(), seconds);
  std::ofstream out(std::filesystem::path(args.out_dir) / "summary.json");
  out << summary;
  if (!out.flush()) {
    fmt::print(stderr, "engaged replay: cannot write summary.json in {}\n", args.out_dir);
    return kExitFailure;
  }
  log.Info("replay finished", {{"events_in", topology.counters().events_in},
                               {"segment_changes", topology.counters().segment_changes},
                               {"churn_events", topology.counters().churn_events},
                               {"duration_s", seconds}});
  return kExitOk;
}

}  // namespace topologies
