#pragma once

// The process under measurement (engaged or the passthrough), started by the load
// tool so that it can read its CPU time and peak RSS when it exits. Used from one
// thread.

#include <sys/types.h>

#include <string>
#include <vector>

#include "ops/status.h"

namespace load {

// What the kernel says about a child that exited (wait4's rusage).
struct ChildUsage {
  int exit_code = -1;       // 128 + signal when killed by one
  double cpu_seconds = 0;   // user + system
  int64_t peak_rss_kb = 0;  // ru_maxrss, the same as VmHWM at exit. Unit: KiB.
};

class Child {
 public:
  // Starts argv[0] (searched on PATH) with its stdout and stderr appended to `log_path`.
  static ops::Result<Child> Start(const std::vector<std::string>& argv,
                                  const std::string& log_path);
  Child(Child&& other) noexcept : pid_(other.pid_), exited_(other.exited_), reaped_(other.reaped_) {
    other.pid_ = -1;
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();  // SIGKILLs a child that was never stopped

  // False once it has exited (it is then reaped; Stop reports nothing more).
  bool Running();
  // VmHWM from /proc while it runs. Unit: KiB; -1 when unreadable.
  int64_t PeakRssKb() const;
  // User + system CPU time so far, from /proc while it runs. Unit: s; -1 when unreadable.
  double CpuSeconds() const;
  // SIGTERM, then waits up to `timeout_ms` (SIGKILL after that).
  ChildUsage Stop(int timeout_ms);

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  ChildUsage exited_;  // filled by Running() when it saw the exit
  bool reaped_ = false;
};

}  // namespace load
