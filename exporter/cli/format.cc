#include "exporter/cli/format.h"

#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "forensics/sample_json.h"

namespace rh::exporter::cli {
namespace {

tm Local(double unix_seconds) {
  const auto t = static_cast<time_t>(std::floor(unix_seconds));
  tm local{};
  localtime_r(&t, &local);
  return local;
}

// Parses "YYYY-MM-DD[( |T)HH:MM[:SS]]" as local time.
std::optional<double> LocalDateTime(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char sep = 0;
  int consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &consumed) != 3 ||
      consumed != 10) {
    return std::nullopt;
  }
  if (s.size() > 10) {
    int rest = 0;
    const int n = std::sscanf(s.c_str() + 10, "%c%2d:%2d%n:%2d%n", &sep, &hour, &minute, &rest,
                              &second, &rest);
    if ((n != 3 && n != 4) || (sep != ' ' && sep != 'T') ||
        static_cast<std::size_t>(10 + rest) != s.size()) {
      return std::nullopt;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  tm local{};
  local.tm_year = year - 1900;
  local.tm_mon = month - 1;
  local.tm_mday = day;
  local.tm_hour = hour;
  local.tm_min = minute;
  local.tm_sec = second;
  local.tm_isdst = -1;
  const time_t t = mktime(&local);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return static_cast<double>(t);
}

}  // namespace

std::string LocalTime(double unix_seconds) {
  const tm local = Local(unix_seconds);
  char buf[64];
  strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &local);
  return buf;
}

std::string LocalClock(double unix_seconds) {
  const tm local = Local(unix_seconds);
  char buf[64];
  strftime(buf, sizeof(buf), "%H:%M:%S", &local);
  return buf;
}

std::string Ago(double seconds) {
  if (seconds < 0) return "in the future";
  if (seconds < 1) return "just now";
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof(buf), "%.0fs ago", std::floor(seconds));
  } else if (seconds < 3600) {
    std::snprintf(buf, sizeof(buf), "%.0fm ago", std::floor(seconds / 60));
  } else if (seconds < 86400) {
    std::snprintf(buf, sizeof(buf), "%.0fh ago", std::floor(seconds / 3600));
  } else {
    std::snprintf(buf, sizeof(buf), "%.0fd ago", std::floor(seconds / 86400));
  }
  return buf;
}

std::string Seconds(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), seconds < 1 ? "%.3f s" : "%.1f s", seconds);
  return buf;
}

std::string Percent(double ratio) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%.0f%%", ratio * 100);
  return buf;
}

Result<double> ParseSince(std::string_view text, double now) {
  const std::string quoted = "--since: cannot read \"" + std::string(text) +
                             "\" (use 30m, 2h, 7d, 2026-11-23, \"2026-11-23 10:15\" or an RFC 3339 "
                             "time)";
  if (text.empty()) return Error{quoted};
  if (text.front() == '@') {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return Error{quoted};
    return value;
  }
  const char unit = text.back();
  if (std::strchr("smhdw", unit) != nullptr && text.size() > 1) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, value);
    if (ec == std::errc() && end == text.data() + text.size() - 1 && value >= 0) {
      const double scale = unit == 's'   ? 1
                           : unit == 'm' ? 60
                           : unit == 'h' ? 3600
                           : unit == 'd' ? 86400
                                         : 7 * 86400;
      return now - value * scale;
    }
  }
  if (text.back() == 'Z') {
    if (auto ns = forensics::ParseRfc3339(text)) return static_cast<double>(*ns) / 1e9;
    return Error{quoted};
  }
  if (auto local = LocalDateTime(text)) return *local;
  return Error{quoted};
}

std::string Paint(std::string_view text, Style style, bool enabled) {
  if (!enabled) return std::string(text);
  const char* code = "";
  switch (style) {
    case Style::kBold:
      code = "1";
      break;
    case Style::kGreen:
      code = "32";
      break;
    case Style::kYellow:
      code = "33";
      break;
    case Style::kRed:
      code = "1;31";
      break;
    case Style::kDim:
      code = "2";
      break;
  }
  return std::string("\x1b[") + code + "m" + std::string(text) + "\x1b[0m";
}

bool ColorAllowed(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return isatty(fd) == 1;
}

}  // namespace rh::exporter::cli
