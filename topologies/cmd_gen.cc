#include <cstdio>

#include "fmt/format.h"
#include "processors/timestamp.h"
#include "topologies/clickstream_gen.h"
#include "topologies/commands.h"

namespace topologies {

int GenCommand(const GenArgs& args) {
  ClickstreamOptions options;
  options.customers = args.customers;
  options.seed = args.seed;
  options.interval_ms = args.interval_ms;
  if (!args.start.empty()) {
    auto start = processors::ParseTimeString(args.start);
    if (!start) {
      fmt::print(stderr, "engaged gen: --start '{}' is not a time\n", args.start);
      return kExitUsage;
    }
    options.start = *start;
  }
  std::FILE* out = args.out == "-" ? stdout : std::fopen(args.out.c_str(), "wb");
  if (out == nullptr) {
    fmt::print(stderr, "engaged gen: cannot write '{}'\n", args.out);
    return kExitFailure;
  }
  ClickstreamGenerator gen(options);
  std::string customer;
  for (int64_t i = 0; i < args.events; ++i) {
    const std::string& event = gen.Next(&customer);
    if (args.keyed) fmt::print(out, "{}\t", customer);
    fmt::print(out, "{}\n", event);
  }
  const bool ok = std::fflush(out) == 0;
  if (out != stdout) std::fclose(out);
  return ok ? kExitOk : kExitFailure;
}

}  // namespace topologies
