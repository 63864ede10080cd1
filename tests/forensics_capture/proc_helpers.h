#pragma once

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>

namespace rh::forensics::test {

/// A /proc/PID/stat line of a current kernel (52 fields).
inline std::string StatLine(int pid, std::string_view comm, char state, int ppid = 1,
                            std::uint64_t utime = 0, std::uint64_t start = 1000,
                            std::int64_t rss = 100, int threads = 1, std::uint64_t majflt = 0,
                            std::uint64_t blkio = 0) {
  return std::to_string(pid) + " (" + std::string(comm) + ") " + state + " " +
         std::to_string(ppid) + " 100 100 0 -1 4194304 150 0 " + std::to_string(majflt) + " 0 " +
         std::to_string(utime) + " 0 0 0 20 0 " + std::to_string(threads) + " 0 " +
         std::to_string(start) + " 2801664 " + std::to_string(rss) +
         " 18446744073709551615 94876432691200 94876432705841 140729851215056 0 0 0 0 0 0 1 0 0 17"
         " 1 0 0 " +
         std::to_string(blkio) +
         " 0 0 94876432720841 94876432722481 94876632705841 140729851221056"
         " 140729851221076 140729851221076 140729851222456 0\n";
}

/// A process whose main thread sleeps in D state for as long as this object lives: it vforks,
/// and a vfork parent waits uninterruptibly (TASK_KILLABLE, shown as "D", wait channel
/// kernel_clone or similar) until its child execs or exits; the child just waits. No privilege
/// needed. Both are killed by PID on destruction (the child through PR_SET_PDEATHSIG).
class VforkBlocked {
 public:
  VforkBlocked() {
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      prctl(PR_SET_NAME, "rh-vfork-wait", 0, 0, 0);
      pid_t child = vfork();
      if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (;;) pause();
      }
      _exit(0);
    }
  }
  ~VforkBlocked() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  VforkBlocked(const VforkBlocked&) = delete;
  VforkBlocked& operator=(const VforkBlocked&) = delete;

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

/// A process whose second thread (named "rh-vfork-thr") sleeps in D state for as long as this
/// object lives, as VforkBlocked's main thread does; its main thread just waits. Both killed by
/// PID on destruction.
class ThreadVforkBlocked {
 public:
  ThreadVforkBlocked() {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      static int out;
      out = fds[1];
      pthread_t thread;
      pthread_create(
          &thread, nullptr,
          [](void*) -> void* {
            prctl(PR_SET_NAME, "rh-vfork-thr", 0, 0, 0);
            const pid_t tid = gettid();
            if (write(out, &tid, sizeof tid) != sizeof tid) _exit(1);
            if (vfork() == 0) {
              prctl(PR_SET_PDEATHSIG, SIGKILL);
              for (;;) pause();
            }
            return nullptr;
          },
          nullptr);
      for (;;) pause();
    }
    close(fds[1]);
    if (read(fds[0], &tid_, sizeof tid_) != sizeof tid_) tid_ = -1;
    close(fds[0]);
  }
  ~ThreadVforkBlocked() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  ThreadVforkBlocked(const ThreadVforkBlocked&) = delete;
  ThreadVforkBlocked& operator=(const ThreadVforkBlocked&) = delete;

  pid_t pid() const { return pid_; }
  pid_t tid() const { return tid_; }

 private:
  pid_t pid_ = -1;
  pid_t tid_ = -1;
};

}  // namespace rh::forensics::test
