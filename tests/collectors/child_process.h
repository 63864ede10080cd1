#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace rh::test {

/// A forked child that names itself `name` (prctl PR_SET_NAME, at most 15 bytes) and then waits
/// on a pipe until killed. The constructor returns once the name is set. Killed and reaped by
/// PID on Kill() or destruction. Not copyable.
class WaitingChild {
 public:
  explicit WaitingChild(const std::string& name = "") {
    int hold[2];
    int ready[2];
    if (pipe2(hold, O_CLOEXEC) != 0) return;
    if (pipe2(ready, O_CLOEXEC) != 0) {
      close(hold[0]);
      close(hold[1]);
      return;
    }
    const char* name_bytes = name.c_str();
    const bool rename = !name.empty();
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls in the child.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      close(hold[1]);
      close(ready[0]);
      if (rename) prctl(PR_SET_NAME, name_bytes, 0, 0, 0);
      if (write(ready[1], "x", 1) != 1) _exit(1);
      char c;
      while (read(hold[0], &c, 1) < 0 && errno == EINTR) {
      }
      _exit(0);
    }
    close(hold[0]);
    close(ready[1]);
    hold_ = hold[1];
    char c;
    while (pid_ > 0 && read(ready[0], &c, 1) < 0 && errno == EINTR) {
    }
    close(ready[0]);
  }
  ~WaitingChild() { Kill(); }
  WaitingChild(const WaitingChild&) = delete;
  WaitingChild& operator=(const WaitingChild&) = delete;

  pid_t pid() const { return pid_; }

  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (hold_ >= 0) {
      close(hold_);
      hold_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
  int hold_ = -1;
};

}  // namespace rh::test
