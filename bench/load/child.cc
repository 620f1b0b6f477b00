#include "bench/load/child.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "fmt/format.h"

namespace load {
namespace {

constexpr int kExitSignalBase = 128;
constexpr double kMicrosPerSecond = 1e6;
constexpr auto kWaitStep = std::chrono::milliseconds(20);

ChildUsage FromWait(int status, const rusage& ru) {
  ChildUsage u;
  u.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : kExitSignalBase + WTERMSIG(status);
  u.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / kMicrosPerSecond;
  u.peak_rss_kb = ru.ru_maxrss;
  return u;
}

}  // namespace

ops::Result<Child> Child::Start(const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty()) return ops::Status::InvalidArgument("no command to run");
  const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return ops::Status::IoError(fmt::format("cannot open {}", log_path));
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(log);
    return ops::Status::Internal("fork failed");
  }
  if (pid == 0) {
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(log);
  return Child(pid);
}

Child::~Child() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool Child::Running() {
  if (reaped_) return false;
  int status = 0;
  rusage ru{};
  const pid_t r = wait4(pid_, &status, WNOHANG, &ru);
  if (r == pid_) {
    reaped_ = true;
    exited_ = FromWait(status, ru);
    return false;
  }
  return true;
}

int64_t Child::PeakRssKb() const {
  std::ifstream in(fmt::format("/proc/{}/status", pid_));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

double Child::CpuSeconds() const {
  std::ifstream in(fmt::format("/proc/{}/stat", pid_));
  std::string stat;
  std::getline(in, stat);
  // Fields after the command name (which may hold spaces) start at field 3, state.
  const size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close_paren + 2));
  std::string skip;
  constexpr int kFieldsBeforeUtime = 11;  // state .. cmajflt; utime is field 14
  for (int i = 0; i < kFieldsBeforeUtime; ++i) fields >> skip;
  int64_t utime = 0;
  int64_t stime = 0;
  if (!(fields >> utime >> stime)) return -1;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

ChildUsage Child::Stop(int timeout_ms) {
  if (reaped_) return exited_;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      int status = 0;
      rusage ru{};
      wait4(pid_, &status, 0, &ru);
      reaped_ = true;
      exited_ = FromWait(status, ru);
      break;
    }
    std::this_thread::sleep_for(kWaitStep);
  }
  return exited_;
}

}  // namespace load
