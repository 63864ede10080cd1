// The floor under the watchdog: a thread doing nothing but sleeping to absolute 20 ms
// CLOCK_MONOTONIC deadlines, as the watchdog does. bench/compare.sh runs it next to the daemon to
// show what the machine charges for 50 wake-ups a second (a context switch each).
// Usage: sleep_loop SECONDS   (prints its own CPU use in ms per second)

#include <time.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const long seconds = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 30;
  timespec deadline{};
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  for (long i = 0; i < seconds * 50; ++i) {
    deadline.tv_nsec += 20'000'000;
    if (deadline.tv_nsec >= 1'000'000'000) {
      deadline.tv_nsec -= 1'000'000'000;
      ++deadline.tv_sec;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr);
  }
  timespec cpu{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
  std::printf("%.3f\n",
              (static_cast<double>(cpu.tv_sec) * 1e3 + static_cast<double>(cpu.tv_nsec) / 1e6) /
                  static_cast<double>(seconds));
  return 0;
}
