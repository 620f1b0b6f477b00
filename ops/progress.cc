#include "ops/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "fmt/format.h"

namespace ops {
namespace {

constexpr double kKilo = 1e3;
constexpr double kMega = 1e6;
constexpr double kGiga = 1e9;
constexpr int64_t kSecondsPerMinute = 60;
constexpr int64_t kSecondsPerHour = 3600;

std::string Bytes(double n) {
  if (n >= kGiga) return fmt::format("{:.1f} GB", n / kGiga);
  if (n >= kMega) return fmt::format("{:.1f} MB", n / kMega);
  if (n >= kKilo) return fmt::format("{:.1f} kB", n / kKilo);
  return fmt::format("{:.0f} B", n);
}

std::string Count(double n) {
  if (n >= kMega) return fmt::format("{:.2f} M", n / kMega);
  if (n >= kKilo) return fmt::format("{:.1f} k", n / kKilo);
  return fmt::format("{:.0f}", n);
}

std::string Duration(double seconds) {
  const int64_t s = std::lround(seconds);
  if (s >= kSecondsPerHour) {
    return fmt::format("{}:{:02}:{:02}", s / kSecondsPerHour,
                       (s % kSecondsPerHour) / kSecondsPerMinute, s % kSecondsPerMinute);
  }
  return fmt::format("{}:{:02}", s / kSecondsPerMinute, s % kSecondsPerMinute);
}

}  // namespace

bool StderrIsInteractive() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDERR_FILENO) == 1 && (term == nullptr || std::strcmp(term, "dumb") != 0);
}

std::string FormatProgress(std::string_view label, int64_t done_bytes, int64_t total_bytes,
                           int64_t records, double elapsed_s) {
  std::string line = fmt::format("{}: {}", label, Bytes(static_cast<double>(done_bytes)));
  if (total_bytes > 0) {
    const double fraction =
        std::min(1.0, static_cast<double>(done_bytes) / static_cast<double>(total_bytes));
    line +=
        fmt::format(" of {} ({:.0f}%)", Bytes(static_cast<double>(total_bytes)), fraction * 100);
  }
  line += fmt::format(", {} records", Count(static_cast<double>(records)));
  if (elapsed_s <= 0) return line;
  line += fmt::format(", {} records/s", Count(static_cast<double>(records) / elapsed_s));
  if (total_bytes > 0 && done_bytes > 0 && done_bytes < total_bytes) {
    const double rate = static_cast<double>(done_bytes) / elapsed_s;
    line += ", ETA " + Duration(static_cast<double>(total_bytes - done_bytes) / rate);
  }
  return line;
}

Progress::Progress(Options options)
    : options_(std::move(options)), start_(options_.now()), last_print_(start_) {}

void Progress::MaybePrint(int64_t done_bytes, int64_t records) {
  if (options_.now() - last_print_ < options_.interval) return;
  Print(done_bytes, records);
}

void Progress::Print(int64_t done_bytes, int64_t records) {
  last_print_ = options_.now();
  const double elapsed = std::chrono::duration<double>(last_print_ - start_).count();
  // "\r" returns to the start of the line; ESC [K clears what a longer line left.
  fmt::print(options_.out, "\r{}\033[K",
             FormatProgress(options_.label, done_bytes, options_.total_bytes, records, elapsed));
  std::fflush(options_.out);
}

void Progress::Finish(int64_t done_bytes, int64_t records) {
  if (!options_.enabled || finished_) return;
  finished_ = true;
  Print(done_bytes, records);
  fmt::print(options_.out, "\n");
  std::fflush(options_.out);
}

ProgressStreambuf::int_type ProgressStreambuf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  const std::streamsize n = source_->sgetn(buffer_.data(), kChunkBytes);
  if (n <= 0) return traits_type::eof();
  bytes_ += n;
  lines_ += std::count(buffer_.data(), buffer_.data() + n, '\n');
  progress_->Update(bytes_, lines_);
  setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
  return traits_type::to_int_type(*gptr());
}

}  // namespace ops
