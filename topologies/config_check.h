#pragma once

// Loads a config for a command, printing every error as FILE:LINE:COL.

#include <optional>
#include <string>

#include "topologies/config.h"

namespace topologies {

// The config, or nullopt after printing its errors to stderr.
std::optional<Config> LoadConfigOrReport(const std::string& path);

}  // namespace topologies
