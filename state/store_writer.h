#pragma once

// Writes a commit's StoreBatch on a helper thread, so that processing goes on while
// RocksDB writes it (docs/architecture.md, "The commit protocol"). One write at a time.
//
// Owned by the Topology; Start, landed, Await and in_flight are called from the
// processing thread only.

#include <atomic>
#include <functional>
#include <future>
#include <memory>

#include "ops/status.h"
#include "state/store.h"

namespace state {

class StoreWriter {
 public:
  using WriteFn = std::function<ops::Status(StoreBatch&)>;

  // Writes with store->Write (the WAL on).
  explicit StoreWriter(Store* store);
  // Writes with `write` (tests hold a write back with it).
  explicit StoreWriter(WriteFn write) : write_(std::move(write)) {}
  // Waits for the write in flight.
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Starts writing `batch` on a helper thread. REQUIRES: !in_flight().
  void Start(StoreBatch batch);
  // Writes `batch` on this thread. REQUIRES: !in_flight().
  ops::Status Write(StoreBatch& batch);
  // A write was started and Await has not yet returned its status.
  bool in_flight() const { return pending_.valid(); }
  // The write in flight has finished: Await returns at once.
  bool landed() const { return in_flight() && done_->load(std::memory_order_acquire); }
  // Waits for the write in flight and returns its status; Ok when none is.
  ops::Status Await();
  // How long the last write (Write, or the one Await returned) took. Unit: seconds.
  double last_write_seconds() const { return last_write_seconds_; }

 private:
  WriteFn write_;
  std::future<ops::Status> pending_;
  // Set by the helper thread when its write returns; shared with it, so that both
  // live as long as either side needs them.
  std::shared_ptr<std::atomic<bool>> done_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<double> seconds_ = std::make_shared<double>(0);
  double last_write_seconds_ = 0;
};

}  // namespace state
