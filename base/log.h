#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace rh {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

/// Writes one log line with a single write(2), so lines of different threads never interleave.
/// Newlines in `message` are escaped. Where the line goes is set by ConfigureLog():
/// - stderr (the default): "<UTC time> <program>[<pid>] <level>: <message>";
/// - stderr read by journald (`journal` set): "<N><message>", N the syslog priority (3 error,
///   4 warning, 6 info, 7 debug), which journald turns into the entry's priority and strips;
/// - a file: the stderr form, appended; when a line would take the file past its size limit, the
///   file is renamed to "<file>.1" (older ones shift to .2, ...; the oldest beyond the limit is
///   deleted) and a new one started.
/// Thread-safe. Allocates: never call it from the watchdog thread.
void Log(LogLevel level, std::string_view message);

inline void LogInfo(std::string_view message) { Log(LogLevel::kInfo, message); }
inline void LogWarning(std::string_view message) { Log(LogLevel::kWarning, message); }
inline void LogError(std::string_view message) { Log(LogLevel::kError, message); }

/// The program name used in log lines (default "rogue-hunter").
void SetLogProgram(std::string_view name);

/// Where log lines go.
struct LogOptions {
  std::string file;                    ///< Empty: stderr.
  std::uint64_t max_bytes = 10 << 20;  ///< A file is rotated before it grows past this.
  int max_files = 3;                   ///< Rotated files kept besides the current one.
  bool journal = false;                ///< stderr is a journald stream: priority prefixes.
};

/// Switches the destination. Opening the file (creating it 0640, its directory 0700) is the only
/// thing that can fail; on failure the destination is left unchanged. Thread-safe.
Status ConfigureLog(const LogOptions& options);

/// Whether `journal_stream` (the value of $JOURNAL_STREAM, "<device>:<inode>") names the file open
/// on `fd`: systemd sets it when it connects a service's stderr to the journal, so a process can
/// tell the journal from a redirection it inherited.
bool IsJournalStream(std::string_view journal_stream, int fd);

}  // namespace rh
