#pragma once

// The subcommands of the `engaged` binary. Each returns the process exit code.

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
  std::string input;      // a file, or "-" for stdin
  std::string out_dir;
  std::string state_dir;  // empty: a temporary directory, removed afterwards
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

}  // namespace topologies
