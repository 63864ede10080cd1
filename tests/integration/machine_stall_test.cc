// A stall of the whole machine, made for real: one SCHED_FIFO 99 busy loop pinned to every CPU
// for 2 s, with the kernel's real-time throttling off so that nothing else runs (root only;
// since Linux 6.12 the fair server still gives normal tasks 5 % of each CPU, which the scope's
// congestion rule allows for). Other work on the machine (almost) stands still for those 2 s, so
// this is the only such test and it has its own label (machine-stall). The throttling setting is
// restored whatever happens, and each loop ends by itself at its deadline, with RLIMIT_RTTIME as a
// hard stop.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "tests/support/daemon.h"
#include "tests/support/process.h"

namespace rh {
namespace {

using namespace std::chrono_literals;

constexpr char kRtRuntime[] = "/proc/sys/kernel/sched_rt_runtime_us";

std::string ReadLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool WriteLine(const char* path, const std::string& value) {
  std::ofstream out(path);
  out << value << "\n";
  out.flush();
  return static_cast<bool>(out);
}

// Turns real-time throttling off while alive; puts the previous value back on destruction.
class RtThrottlingOff {
 public:
  RtThrottlingOff() : saved_(ReadLine(kRtRuntime)) {
    ok_ = !saved_.empty() && WriteLine(kRtRuntime, "-1");
  }
  ~RtThrottlingOff() { Restore(); }
  void Restore() {
    if (!saved_.empty()) WriteLine(kRtRuntime, saved_);
  }
  bool ok() const { return ok_; }
  const std::string& saved() const { return saved_; }

 private:
  std::string saved_;
  bool ok_ = false;
};

std::int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

// Starts one real-time busy loop on `cpu` until `deadline_ns`. Only async-signal-safe calls in
// the child.
pid_t StartHog(int cpu, std::int64_t deadline_ns) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  rlimit rt{3'000'000, 3'000'000};  // µs of real-time CPU without sleeping: then SIGKILL
  setrlimit(RLIMIT_RTTIME, &rt);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) _exit(2);
  sched_param param{};
  param.sched_priority = 99;
  if (sched_setscheduler(0, SCHED_FIFO, &param) != 0) _exit(3);
  while (MonotonicNs() < deadline_ns) {
  }
  _exit(0);
}

TEST(MachineStall, RealTimeLoopsOnEveryCpuAreAMachineScopePause) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (SCHED_FIFO 99, " << kRtRuntime << ")";
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ASSERT_TRUE(test::WaitUntil(
      [&] { return daemon.Metric("rogue_hunter_pause_evidence_seconds").value_or(0) >= 4; }, 20s,
      100ms));
  ASSERT_EQ(daemon.Metric("rogue_hunter_watchdog_priority_raised"), 1);

  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  ASSERT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  }
  ASSERT_FALSE(cpus.empty());

  std::vector<int> statuses;
  {
    RtThrottlingOff off;
    ASSERT_TRUE(off.ok()) << "cannot write " << kRtRuntime;
    const std::int64_t deadline = MonotonicNs() + 2'000'000'000;
    std::vector<pid_t> hogs;
    for (int cpu : cpus) hogs.push_back(StartHog(cpu, deadline));
    for (pid_t hog : hogs) {
      int status = 0;
      while (waitpid(hog, &status, 0) < 0 && errno == EINTR) {
      }
      statuses.push_back(status);
    }
    off.Restore();
    EXPECT_EQ(ReadLine(kRtRuntime), off.saved());
  }
  for (int status : statuses) EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  // Any verdict, then which: the log line with its figures is printed whatever it says.
  ASSERT_TRUE(test::WaitUntil(
      [&] { return daemon.Metric("rogue_hunter_last_pause_duration_seconds").value_or(0) > 0; },
      15s))
      << daemon.process().Stderr();
  ASSERT_TRUE(test::WaitUntil(
      [&] { return daemon.process().Stderr().find("warning: pause: ") != std::string::npos; }, 5s));
  const std::string log = daemon.process().Stderr();
  const auto at = log.find("warning: pause: ");
  std::cout << "verdict: " << log.substr(at, log.find('\n', at) - at) << "\n";
  EXPECT_EQ(daemon.Metric("rogue_hunter_pauses_total{scope=\"machine\"}"), 1) << log;
  EXPECT_EQ(daemon.Metric("rogue_hunter_pauses_total{scope=\"process\"}"), 0);
  const double duration = daemon.Metric("rogue_hunter_last_pause_duration_seconds").value_or(0);
  EXPECT_GT(duration, 1.5);
  EXPECT_LT(duration, 3);
  EXPECT_THAT(daemon.process().Stderr(),
              ::testing::HasSubstr("warning: pause: the machine froze for"));
}

}  // namespace
}  // namespace rh
