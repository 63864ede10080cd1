// A process for the tests to look at and to kill: names itself, optionally ignores SIGTERM or
// burns CPU, says "ready" on stdout, and waits for a signal.
//   target_process [--name NAME] [--ignore-term] [--burn] [args ignored...]

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  bool burn = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
      prctl(PR_SET_NAME, argv[++i], 0, 0, 0);
    } else if (std::strcmp(argv[i], "--ignore-term") == 0) {
      signal(SIGTERM, SIG_IGN);
    } else if (std::strcmp(argv[i], "--burn") == 0) {
      burn = true;
    }
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::printf("ready %d\n", static_cast<int>(getpid()));
  std::fflush(stdout);
  volatile unsigned long spin = 0;
  for (;;) {
    if (burn) {
      spin = spin + 1;
    } else {
      pause();
    }
  }
}
