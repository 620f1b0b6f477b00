#include "state/store_writer.h"

#include <chrono>
#include <utility>

namespace state {

StoreWriter::StoreWriter(Store* store)
    : write_([store](StoreBatch& batch) { return store->Write(batch); }) {}

StoreWriter::~StoreWriter() {
  // A write that failed here has no one left to report to: the process is already
  // stopping, and the next start resumes from what is durable.
  if (in_flight()) Await().IgnoreError();
}

void StoreWriter::Start(StoreBatch batch) {
  done_->store(false, std::memory_order_relaxed);
  pending_ = std::async(std::launch::async, [write = write_, done = done_, seconds = seconds_,
                                             batch = std::move(batch)]() mutable {
    const auto start = std::chrono::steady_clock::now();
    ops::Status s = write(batch);
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    done->store(true, std::memory_order_release);
    return s;
  });
}

ops::Status StoreWriter::Write(StoreBatch& batch) {
  const auto start = std::chrono::steady_clock::now();
  ops::Status s = write_(batch);
  last_write_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

ops::Status StoreWriter::Await() {
  if (!in_flight()) return ops::Status::Ok();
  ops::Status s = pending_.get();  // leaves pending_ invalid: nothing in flight
  last_write_seconds_ = *seconds_;
  return s;
}

}  // namespace state
