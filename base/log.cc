#include "base/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>

namespace rh {
namespace {

std::string& Program() {
  static std::string program = "rogue-hunter";
  return program;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

// syslog(3) priorities, as sd-daemon(3) prefixes carry them.
char Priority(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return '7';
    case LogLevel::kInfo:
      return '6';
    case LogLevel::kWarning:
      return '4';
    case LogLevel::kError:
      return '3';
  }
  return '6';
}

// A log file with size-based rotation. Guarded by the sink's mutex.
struct LogFile {
  int fd = -1;
  std::string path;
  std::uint64_t size = 0;
  std::uint64_t max_bytes = 0;
  int max_files = 0;

  void Rotate() {
    std::error_code ec;
    std::filesystem::remove(path + "." + std::to_string(max_files), ec);
    for (int i = max_files - 1; i >= 1; --i) {
      std::filesystem::rename(path + "." + std::to_string(i), path + "." + std::to_string(i + 1),
                              ec);
    }
    if (max_files > 0) {
      std::filesystem::rename(path, path + ".1", ec);
    } else {
      std::filesystem::remove(path, ec);
    }
    int next = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (next < 0) return;  // keep writing to the old file rather than lose lines
    close(fd);
    fd = next;
    size = 0;
  }
};

struct Sink {
  std::atomic<bool> journal{false};
  std::atomic<bool> to_file{false};
  std::mutex mutex;  // guards `file`
  LogFile file;
};

Sink& TheSink() {
  static Sink* sink = new Sink;  // never destroyed: threads may log during exit
  return *sink;
}

void Escape(std::string_view message, std::string& line) {
  for (char c : message) {
    if (c == '\n') {
      line += "\\n";
    } else {
      line += c;
    }
  }
}

}  // namespace

void SetLogProgram(std::string_view name) { Program() = std::string(name); }

void Log(LogLevel level, std::string_view message) {
  Sink& sink = TheSink();
  std::string line;
  line.reserve(message.size() + 64);
  const bool to_file = sink.to_file.load(std::memory_order_acquire);
  if (!to_file && sink.journal.load(std::memory_order_relaxed)) {
    line += '<';
    line += Priority(level);
    line += '>';
  } else {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    tm utc{};
    gmtime_r(&now.tv_sec, &utc);
    char stamp[64];
    std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  now.tv_nsec / 1'000'000);
    line += stamp;
    line += ' ';
    line += Program();
    line += '[' + std::to_string(getpid()) + "] ";
    line += LevelName(level);
    line += ": ";
  }
  Escape(message, line);
  line += '\n';
  if (to_file) {
    std::lock_guard lock(sink.mutex);
    LogFile& f = sink.file;
    if (f.fd >= 0) {
      if (f.size > 0 && f.size + line.size() > f.max_bytes) f.Rotate();
      ssize_t n = write(f.fd, line.data(), line.size());
      if (n > 0) {
        f.size += static_cast<std::uint64_t>(n);
        return;
      }
    }
  }
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

Status ConfigureLog(const LogOptions& options) {
  Sink& sink = TheSink();
  LogFile next;
  if (!options.file.empty()) {
    std::error_code ec;
    const auto dir = std::filesystem::path(options.file).parent_path();
    if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (!ec) std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    }
    next.fd = open(options.file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (next.fd < 0) return Error{options.file + ": cannot open the log file: " + strerror(errno)};
    struct stat st {};
    if (fstat(next.fd, &st) == 0) next.size = static_cast<std::uint64_t>(st.st_size);
    next.path = options.file;
    next.max_bytes = options.max_bytes;
    next.max_files = options.max_files;
  }
  std::lock_guard lock(sink.mutex);
  if (sink.file.fd >= 0) close(sink.file.fd);
  sink.file = std::move(next);
  sink.journal.store(options.journal, std::memory_order_relaxed);
  sink.to_file.store(sink.file.fd >= 0, std::memory_order_release);
  return {};
}

bool IsJournalStream(std::string_view journal_stream, int fd) {
  const std::size_t colon = journal_stream.find(':');
  if (colon == std::string_view::npos) return false;
  std::uint64_t device = 0, inode = 0;
  const char* begin = journal_stream.data();
  const char* end = begin + journal_stream.size();
  auto [d_end, d_ec] = std::from_chars(begin, begin + colon, device);
  auto [i_end, i_ec] = std::from_chars(begin + colon + 1, end, inode);
  if (d_ec != std::errc() || d_end != begin + colon || i_ec != std::errc() || i_end != end) {
    return false;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  return static_cast<std::uint64_t>(st.st_dev) == device &&
         static_cast<std::uint64_t>(st.st_ino) == inode;
}

}  // namespace rh
