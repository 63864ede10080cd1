#include "forensics/capture/kernel_log.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "forensics/sample_json.h"

extern char** environ;

namespace rh::forensics {
namespace {

constexpr std::array<const char*, 8> kLevels = {"emerg",   "alert",  "crit", "err",
                                                "warning", "notice", "info", "debug"};

std::string EpochArgument(const char* option, double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s=@%" PRId64, option, static_cast<std::int64_t>(seconds));
  return buf;
}

}  // namespace

std::string FormatKmsgLine(const KmsgRecord& r, std::int64_t realtime_minus_monotonic_ns) {
  char stamp[48];
  std::snprintf(stamp, sizeof(stamp), " [%6" PRId64 ".%06" PRId64 "] ", r.usec / 1'000'000,
                r.usec % 1'000'000);
  std::string line = Rfc3339(r.usec * 1000 + realtime_minus_monotonic_ns);
  line += stamp;
  line += kLevels[static_cast<std::size_t>(r.level & 7)];
  line += ": ";
  line += r.text;
  line += '\n';
  return line;
}

Result<KernelLog> ReadKernelLog(const std::filesystem::path& path, std::int64_t from_usec,
                                std::int64_t realtime_minus_monotonic_ns, std::size_t cap) {
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Error{path.string() + ": " + std::strerror(errno)};
  KernelLog log;
  std::string buffer(16 << 10, '\0');
  for (;;) {
    ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) {  // overwritten before we got to them; the next read goes on
        ++log.lost;
        continue;
      }
      if (errno == EAGAIN) break;
      int err = errno;
      close(fd);
      return Error{path.string() + ": " + std::strerror(err)};
    }
    if (n == 0) break;
    auto record = ParseKmsgRecord(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    if (!record || record->usec < from_usec) continue;
    std::string line = FormatKmsgLine(*record, realtime_minus_monotonic_ns);
    if (log.text.size() + line.size() > cap) {
      log.truncated = true;
      break;
    }
    log.text += line;
    ++log.lines;
  }
  close(fd);
  return log;
}

bool JournalExists(const std::vector<std::filesystem::path>& dirs) {
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec) && !std::filesystem::is_empty(dir, ec) && !ec) {
      return true;
    }
  }
  return false;
}

Result<std::unique_ptr<JournalQuery>> JournalQuery::Start(const std::string& program, double since,
                                                          double until) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Error{std::string("pipe: ") + std::strerror(errno)};
  std::vector<std::string> args = {program,
                                   "--no-pager",
                                   "--quiet",
                                   "--output=short-iso-precise",
                                   EpochArgument("--since", std::floor(since)),
                                   EpochArgument("--until", std::ceil(until))};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGUSR1, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, program.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    return Error{program + ": " + std::strerror(rc)};
  }
  return std::unique_ptr<JournalQuery>(new JournalQuery(pid, pipe_fds[0]));
}

JournalQuery::~JournalQuery() { Kill(); }

void JournalQuery::Kill() {
  if (out_ >= 0) {
    close(out_);
    out_ = -1;
  }
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

Result<std::string> JournalQuery::Finish(std::chrono::steady_clock::time_point deadline,
                                         std::size_t cap, const std::atomic<bool>* cancel) {
  if (pid_ <= 0) return Error{"journalctl: already collected"};
  std::string out;
  bool eof = false, over = false;
  char buffer[16384];
  while (!eof) {
    if (cancel != nullptr && cancel->load()) {
      Kill();
      return Error{"journalctl: cancelled"};
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      Kill();
      return Error{"journalctl: timed out"};
    }
    pollfd p{out_, POLLIN, 0};
    int timeout = static_cast<int>(std::min<std::int64_t>(left.count(), 50));
    int ready = poll(&p, 1, timeout);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    ssize_t n = read(out_, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      break;
    }
    if (n == 0) {
      eof = true;
      break;
    }
    std::size_t take = std::min(static_cast<std::size_t>(n), cap - out.size());
    out.append(buffer, take);
    if (out.size() >= cap) {
      over = true;
      break;
    }
  }
  close(out_);
  out_ = -1;
  if (over) {
    Kill();
    return out;  // the cap is the caller's choice: what fits is kept
  }
  int status = 0;
  // The output ended; the program exits right after. Wait for it within the deadline.
  for (;;) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      break;
    }
    if (r < 0 && errno != EINTR) {
      pid_ = -1;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      Kill();
      return Error{"journalctl: timed out"};
    }
    usleep(2000);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Error{"journalctl: exited with status " +
                 std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status))};
  }
  return out;
}

}  // namespace rh::forensics
