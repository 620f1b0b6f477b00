#pragma once

// Topology::Process as the Runner calls it, for tests that drive a Topology directly.

#include "ops/status.h"
#include "topologies/topology.h"

namespace testutil {

// Processes `r`, committing (with `write`) and processing it again as often as the
// topology asks (Processed::kCommitFirst: a midnight's wakes filled a cache). An
// aborted commit is returned as the error.
inline ops::Status ProcessCommittingFirst(
    topologies::Topology& topology, const topologies::InputRecord& r,
    topologies::StoreWrite write = topologies::StoreWrite::kWait) {
  auto processed = topology.Process(r);
  while (processed.ok() && *processed == topologies::Processed::kCommitFirst) {
    auto committed = topology.Commit(write);
    if (!committed.ok()) return committed.status();
    processed = topology.Process(r);
  }
  return processed.ok() ? ops::Status::Ok() : processed.status();
}

}  // namespace testutil
