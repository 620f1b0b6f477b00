#pragma once

// Errors as values. Status says whether an operation worked and, if not, what kind
// of failure it was and why; Result<T> carries either a value or a failed Status.
// Both are [[nodiscard]]: ignoring one must be written out as IgnoreError().
// Value types; thread-compatible.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ops {

// What kind of failure a Status reports. The caller decides its response from this.
enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong (bad config, bad flag)
  kNotFound,            // the thing asked for does not exist
  kIoError,             // a file, the disk or RocksDB failed
  kKafkaError,          // librdkafka reported an error that is not retriable here
  kCorruption,          // stored data cannot be decoded
  kFailedPrecondition,  // the system is not in a state where this can run
  kUnavailable,         // a dependency (broker, port) is not reachable
  kInternal,            // a bug
  kAborted,             // a Kafka transaction was aborted: rewind to the last commit
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Kafka(std::string m) { return {StatusCode::kKafkaError, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "IoError: message", or "OK".
  std::string ToString() const;

  // Marks a deliberately ignored error; greppable.
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "a Result holds a value or a failed Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ops

// Returns from the enclosing function when `expr` (a Status) failed.
#define ENGAGED_RETURN_IF_ERROR(expr)   \
  do {                                  \
    ::ops::Status engaged_st_ = (expr); \
    if (!engaged_st_.ok()) {            \
      return engaged_st_;               \
    }                                   \
  } while (0)
