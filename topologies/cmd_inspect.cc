#include <cstdio>

#include "fmt/format.h"
#include "processors/state_json.h"
#include "state/store.h"
#include "topologies/commands.h"

namespace topologies {

int InspectCommand(const InspectArgs& args) {
  // Read-only: works beside a running instance, which holds the lock.
  auto store = state::Store::Open({.dir = args.state_dir, .read_only = true});
  if (!store.ok()) {
    fmt::print(stderr, "engaged inspect: {}\n", store.status().ToString());
    return kExitFailure;
  }
  int found = 0;
  auto status = (*store)->FindCustomer(
      args.customer_id, [&](state::Partition p, const state::CustomerState& s) {
        std::string out;
        processors::WriteCustomerStateJson(args.customer_id, p, s, &out);
        fmt::print("{}\n", out);
        ++found;
      });
  if (!status.ok()) {
    fmt::print(stderr, "engaged inspect: {}\n", status.ToString());
    return kExitFailure;
  }
  if (found == 0) {
    fmt::print(stderr, "engaged inspect: customer '{}' not found in {}\n", args.customer_id,
               args.state_dir);
    return kExitFailure;
  }
  return kExitOk;
}

int CheckpointCommand(const CheckpointArgs& args) {
  auto store = state::Store::Open({.dir = args.state_dir});
  if (!store.ok()) {
    fmt::print(stderr, "engaged checkpoint: {} (stop the instance that uses it first)\n",
               store.status().ToString());
    return kExitFailure;
  }
  if (auto s = (*store)->Checkpoint(args.out_dir); !s.ok()) {
    fmt::print(stderr, "engaged checkpoint: {}\n", s.ToString());
    return kExitFailure;
  }
  fmt::print("checkpoint of {} written to {}\n", args.state_dir, args.out_dir);
  return kExitOk;
}

}  // namespace topologies
