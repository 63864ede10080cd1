#pragma once

#include <string_view>

namespace rh {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

/// Writes one line to stderr: "<UTC time> <program>[<pid>] <level>: <message>", with a single
/// write(2) so lines of different threads never interleave. Newlines in `message` are escaped.
/// Thread-safe. Allocates: never call it from the watchdog thread.
void Log(LogLevel level, std::string_view message);

inline void LogInfo(std::string_view message) { Log(LogLevel::kInfo, message); }
inline void LogWarning(std::string_view message) { Log(LogLevel::kWarning, message); }
inline void LogError(std::string_view message) { Log(LogLevel::kError, message); }

/// The program name used in log lines (default "rogue-hunter").
void SetLogProgram(std::string_view name);

}  // namespace rh
