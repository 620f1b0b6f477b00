#include "state/store_writer.h"

#include <pthread.h>

#include <chrono>
#include <utility>

namespace state {

StoreWriter::StoreWriter(Store* store)
    : write_([store](StoreBatch& batch) { return store->Write(batch); }) {}

StoreWriter::~StoreWriter() {
  // A write that failed here has no one left to report to: the process is already
  // stopping, and the next start resumes from what is durable.
  if (in_flight()) Await().IgnoreError();
  if (!thread_.joinable()) return;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void StoreWriter::Start(StoreBatch batch) {
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { Loop(); });
    pthread_setname_np(thread_.native_handle(), "store-writer");
  }
  done_.store(false, std::memory_order_relaxed);
  {
    const std::lock_guard<std::mutex> lock(mu_);
    next_ = std::move(batch);
  }
  in_flight_ = true;
  cv_.notify_all();
}

void StoreWriter::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || next_.has_value(); });
    if (!next_) return;  // stopping, with nothing left to write
    StoreBatch batch = std::move(*next_);
    next_.reset();
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    ops::Status s = write_(batch);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    lock.lock();
    status_ = std::move(s);
    seconds_ = seconds;
    done_.store(true, std::memory_order_release);
    cv_.notify_all();
  }
}

ops::Status StoreWriter::Write(StoreBatch& batch) {
  const auto start = std::chrono::steady_clock::now();
  ops::Status s = write_(batch);
  last_write_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

ops::Status StoreWriter::Await() {
  if (!in_flight_) return ops::Status::Ok();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return done_.load(std::memory_order_acquire); });
  in_flight_ = false;
  last_write_seconds_ = seconds_;
  return status_;
}

}  // namespace state
