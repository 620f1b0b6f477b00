#pragma once

// Loads a config for a command, printing every error as FILE:LINE:COL.

#include <optional>
#include <string>

#include "topologies/config.h"

namespace topologies {

// The loaded config, or nullopt after printing its errors to stderr.
std::optional<ConfigLoad> LoadConfigOrReport(const std::string& path);

}  // namespace topologies
