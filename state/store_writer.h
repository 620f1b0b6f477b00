#pragma once

// Writes a commit's StoreBatch on a helper thread, so that processing goes on while
// RocksDB writes it (docs/architecture.md, "The commit protocol"). One write at a time,
// all on the same thread ("store-writer"), started by the first Start.
//
// Owned by the Topology; Start, Write, landed, Await and in_flight are called from the
// processing thread only.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

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
  // Waits for the write in flight, then ends the helper thread.
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Starts writing `batch` on the helper thread. REQUIRES: !in_flight().
  void Start(StoreBatch batch);
  // Writes `batch` on this thread. REQUIRES: !in_flight().
  ops::Status Write(StoreBatch& batch);
  // A write was started and Await has not yet returned its status.
  bool in_flight() const { return in_flight_; }
  // The write in flight has finished: Await returns at once.
  bool landed() const { return in_flight_ && done_.load(std::memory_order_acquire); }
  // Waits for the write in flight and returns its status; Ok when none is.
  ops::Status Await();
  // How long the last write (Write, or the one Await returned) took. Unit: seconds.
  double last_write_seconds() const { return last_write_seconds_; }

 private:
  void Loop();

  WriteFn write_;
  bool in_flight_ = false;  // processing thread only
  double last_write_seconds_ = 0;
  std::thread thread_;  // started by the first Start
  std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_: the batch handed to the helper, its result, and the stop request.
  std::optional<StoreBatch> next_;
  ops::Status status_;
  double seconds_ = 0;
  bool stop_ = false;
  // Set by the helper once status_ and seconds_ hold the write's result.
  std::atomic<bool> done_{false};
};

}  // namespace state
