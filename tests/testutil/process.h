#pragma once

// Runs a child process (the `engaged` binary) for end-to-end tests: start, signal,
// wait with a timeout. Its stdout and stderr go to a log file.

#include <string>
#include <vector>

namespace testutil {

class Process {
 public:
  // Starts `argv[0]` with `argv`; output is appended to `log_path`.
  Process(const std::vector<std::string>& argv, const std::string& log_path);
  ~Process();  // SIGKILLs a child that is still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void Signal(int sig) const;
  // Waits up to `timeout_ms`; returns the exit code, 128+signal when killed, or -1 on
  // timeout (the child keeps running).
  int Wait(int timeout_ms);
  bool running();
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int status_code_ = -1;
};

// Runs `argv` to completion and returns its exit code; output in `output`.
int RunToCompletion(const std::vector<std::string>& argv, std::string* output);

}  // namespace testutil
