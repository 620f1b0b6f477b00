#pragma once

// Reading the Prometheus text exposition (MetricsRegistry::Serialize, GET /metrics) in
// tests.

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace testutil {

// The value of the unlabelled series `name` in `exposition`; nullopt when absent.
inline std::optional<double> MetricSample(std::string_view exposition, const std::string& name) {
  const std::string text = "\n" + std::string(exposition);
  const std::string needle = "\n" + name + " ";
  const size_t at = text.find(needle);
  if (at == std::string::npos) return std::nullopt;
  return std::strtod(text.c_str() + at + needle.size(), nullptr);
}

}  // namespace testutil
