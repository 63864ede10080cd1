#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rh::test {

using namespace std::chrono_literals;

/// A child process started by a test. It dies with the test (PR_SET_PDEATHSIG) and is killed by
/// PID on destruction if still running. stdout and stderr go to files, readable at any time.
/// Not copyable; movable.
class Subprocess {
 public:
  struct Options {
    std::vector<std::string> env;  ///< Extra NAME=VALUE entries on top of the test's environment.
    std::filesystem::path output_dir;  ///< Where stdout/stderr files go; default: a fresh temp dir.
    std::filesystem::path cwd;
  };

  static Subprocess Start(const std::vector<std::string>& argv, const Options& options);
  static Subprocess Start(const std::vector<std::string>& argv) { return Start(argv, Options{}); }

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  Subprocess(const Subprocess&) = delete;
  ~Subprocess();

  pid_t pid() const { return pid_; }
  bool Running();
  void Signal(int signal) const;
  /// Waits up to `timeout` for the process to exit; its exit code, or 128+signal when killed.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  /// SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status as WaitExit does.
  int Stop(std::chrono::milliseconds grace = 5000ms);

  std::string Stdout() const;
  std::string Stderr() const;

 private:
  Subprocess() = default;
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
  std::filesystem::path owned_dir_;
};

/// A child that keeps one CPU busy until it is stopped: a culprit with CPU evidence, so a test
/// that expects a ranked culprit does not depend on what else happens to run on the machine.
inline Subprocess StartCpuSpinner() {
  return Subprocess::Start({"sh", "-c", "while :; do :; done"});
}

struct RunResult {
  int exit_code = -1;  ///< 128+signal if killed; -1 if it timed out (and was then killed).
  std::string out;
  std::string err;
};

/// Runs a command to completion (killed after `timeout`), optionally feeding `stdin_text`.
RunResult Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 60000ms,
              const std::string& stdin_text = "");

/// Polls `condition` every `interval` until it holds or `timeout` passes. For waiting on other
/// processes only; logic under test takes an injected clock instead.
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval = 50ms);

/// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

/// Whether a program is on PATH.
bool HaveProgram(const std::string& name);

/// This process's context switches so far, all threads (getrusage).
std::uint64_t OwnContextSwitches();

}  // namespace rh::test
