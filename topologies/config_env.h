#pragma once

// ENGAGED_* environment overrides of config keys, for the config loader only
// (docs/configuration.md#environment-overrides). Pure functions of their arguments.

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "topologies/config.h"

namespace topologies {

// One variable that overrides one key.
struct EnvOverride {
  std::string variable;           // ENGAGED_STATE__DIR
  std::vector<std::string> path;  // {"state", "dir"}; {"kafka", "sasl.password"}
  std::string value;              // never empty
};

// The overrides in `env`, sorted by variable name. A variable is an override when it
// starts with ENGAGED_ and contains "__", or is ENGAGED_APPLICATION_ID or
// ENGAGED_LOG_LEVEL (kept as an alias of ENGAGED_LOG__LEVEL). One that names no key
// that can be overridden is an error naming the variable. Other ENGAGED_* variables
// (such as those read by ${VAR} interpolation) are not overrides. Empty values are
// ignored, as they are by ${VAR:-default}.
std::vector<EnvOverride> ParseEnvOverrides(const Environment& env,
                                           std::vector<ConfigError>* errors);

// Puts each override into `root`, creating sections as needed; a section that the file
// gives as something other than a map is left alone (the loader reports it). A value
// that starts with '[' or '{' is parsed as a YAML flow list or map; any other value is
// one string, taken literally. Returns the node placed for each override, in order (an
// undefined node where none was placed), so that the loader can name the variable in
// its errors. REQUIRES: root is a map.
std::vector<YAML::Node> MergeEnvOverrides(const std::vector<EnvOverride>& overrides,
                                          YAML::Node& root, std::vector<ConfigError>* errors);

}  // namespace topologies
