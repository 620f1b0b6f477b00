#pragma once

// Rate and ETA of long work (replay, fit) on a terminal: one line on stderr, rewritten
// in place at most every `interval`, and nothing at all when the output is not a
// terminal (CI, pipes, log files), where JSON log lines are expected instead.
// A Progress is owned by the command doing the work; used from one thread; not
// thread-safe.

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <streambuf>
#include <string>
#include <string_view>

namespace ops {

// Whether to show progress on stderr: it is a terminal and TERM is not "dumb".
bool StderrIsInteractive();

// One progress line, without "\r". `total_bytes` 0 means unknown: no percentage and no
// ETA. Example: "replay: 12.0 MB of 48.0 MB (25%), 81.2 k records, 40.6 k records/s,
// ETA 0:06".
std::string FormatProgress(std::string_view label, int64_t done_bytes, int64_t total_bytes,
                           int64_t records, double elapsed_s);

class Progress {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  struct Options {
    std::string label;        // what is running: "replay", "fit"
    int64_t total_bytes = 0;  // the size of the input; 0 when unknown (stdin). Unit: bytes.
    bool enabled = false;     // show anything at all; usually StderrIsInteractive()
    std::FILE* out = stderr;
    Clock now = std::chrono::steady_clock::now;
    // The least time between two lines. Default 250 ms.
    std::chrono::milliseconds interval{250};
    // Update reads the clock once per this many calls, to stay cheap per record.
    // Default 256. Unit: calls.
    int calls_per_clock_read = 256;
  };

  explicit Progress(Options options);

  // Reports the work done so far; prints a line when enabled and `interval` has passed
  // since the last one. Cheap when disabled.
  void Update(int64_t done_bytes, int64_t records) {
    if (!options_.enabled || finished_ || ++calls_ < options_.calls_per_clock_read) return;
    calls_ = 0;
    MaybePrint(done_bytes, records);
  }

  // Prints the final figures and ends the line, once; later calls and updates do
  // nothing. Does nothing when disabled.
  void Finish(int64_t done_bytes, int64_t records);

 private:
  void MaybePrint(int64_t done_bytes, int64_t records);
  void Print(int64_t done_bytes, int64_t records);

  Options options_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
  int calls_ = 0;
  bool finished_ = false;
};

// A read-only stream buffer over another one that reports the bytes and lines read to
// a Progress, for readers that take a std::istream. Owns neither.
class ProgressStreambuf final : public std::streambuf {
 public:
  ProgressStreambuf(std::streambuf* source, Progress* progress)
      : source_(source), progress_(progress) {}

  int64_t bytes() const { return bytes_; }
  int64_t lines() const { return lines_; }

 protected:
  int_type underflow() override;

 private:
  static constexpr size_t kChunkBytes = 64 * 1024;
  std::streambuf* source_;
  Progress* progress_;
  std::array<char, kChunkBytes> buffer_;
  int64_t bytes_ = 0;
  int64_t lines_ = 0;
};

}  // namespace ops
