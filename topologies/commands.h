#pragma once

// The subcommands of the `engaged` binary. Each returns the process exit code.

#include <cstdint>
#include <string>

namespace topologies {

// sysexits(3) codes that scripts and systemd can act on.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitConfig = 78;

struct RunArgs {
  std::string config_path;
};
int RunCommand(const RunArgs& args);

struct ReplayArgs {
  std::string config_path;
  std::string input;  // a file, or "-" for stdin
  std::string out_dir;
  std::string state_dir;          // empty: a temporary directory, removed afterwards
  std::string format = "ndjson";  // or "cdnow"
};
int ReplayCommand(const ReplayArgs& args);

struct ValidateArgs {
  std::string config_path;
};
int ValidateCommand(const ValidateArgs& args);

struct InspectArgs {
  std::string state_dir;
  std::string customer_id;
};
int InspectCommand(const InspectArgs& args);

struct CheckpointArgs {
  std::string state_dir;
  std::string out_dir;  // must not exist
};
// A consistent copy of a state directory (rocksdb::Checkpoint), for backups.
int CheckpointCommand(const CheckpointArgs& args);

struct GenArgs {
  std::string out = "-";  // a file, or "-" for stdout
  int64_t events = 100000;
  int64_t customers = 10000;
  uint64_t seed = 1;
  std::string start;  // event time of the first event; empty: 2023-11-14T22:13:20Z
  int64_t interval_ms = 1000;
  bool keyed = false;  // prefix each line with "CUSTOMER_ID<TAB>"
};
int GenCommand(const GenArgs& args);

struct FitArgs {
  std::string input;                // a transaction log, or "-" for stdin; or:
  std::string state_dir;            // a state directory (RocksDB) to read summaries from
  std::string basis = "purchases";  // with state_dir: "purchases" or "sessions"
  std::string format = "ndjson";    // "ndjson" or "cdnow"
  std::string calibration_end;      // YYYY-MM-DD, the last day of calibration (inclusive)
  std::string time_unit;            // "days" or "weeks"
  std::string summary_out;          // empty: no per-customer summary CSV
};
int FitCommand(const FitArgs& args);

}  // namespace topologies
