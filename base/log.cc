#include "base/log.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>
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

}  // namespace

void SetLogProgram(std::string_view name) { Program() = std::string(name); }

void Log(LogLevel level, std::string_view message) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                now.tv_nsec / 1'000'000);
  std::string line;
  line.reserve(message.size() + 64);
  line += stamp;
  line += ' ';
  line += Program();
  line += '[' + std::to_string(getpid()) + "] ";
  line += LevelName(level);
  line += ": ";
  for (char c : message) {
    if (c == '\n') {
      line += "\\n";
    } else {
      line += c;
    }
  }
  line += '\n';
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace rh
