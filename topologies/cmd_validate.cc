#include <cstdio>

#include "fmt/format.h"
#include "topologies/commands.h"
#include "topologies/config_check.h"

namespace topologies {

std::optional<ConfigLoad> LoadConfigOrReport(const std::string& path) {
  ConfigLoad load = LoadConfigFile(path);
  for (const auto& e : load.errors) fmt::print(stderr, "{}\n", FormatConfigError(path, e));
  if (!load.ok()) {
    fmt::print(stderr, "{}: {} error{}\n", path, load.errors.size(),
               load.errors.size() == 1 ? "" : "s");
    return std::nullopt;
  }
  return load;
}

int ValidateCommand(const ValidateArgs& args) {
  auto load = LoadConfigOrReport(args.config_path);
  if (!load) return kExitConfig;
  const Config& config = load->config;
  fmt::print("{}: ok ({} input topic{}, {} segment{})\n", args.config_path,
             config.input.topics.size(), config.input.topics.size() == 1 ? "" : "s",
             config.segments.size(), config.segments.size() == 1 ? "" : "s");
  for (const std::string& variable : load->overridden_by) {
    fmt::print("{}: overridden by {} from the environment\n", args.config_path, variable);
  }
  return kExitOk;
}

}  // namespace topologies
