#pragma once

#include <iosfwd>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "forensics/bundle_reader.h"

namespace rh::forensics::cli {

// The rh-forensics commands (docs/rh-forensics.md). Each returns the process exit code and
// writes its result to `out`, problems to `err` as one line "rh-forensics: <what>".

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  ///< The check failed, or an error.
inline constexpr int kExitUsage = 2;

/// Where rh-forensics finds things and where it writes; shared by all commands.
struct Context {
  config::Config config;
  std::string events_dir;
  std::string database;
  ReadLimits limits;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  const Clock* clock = &SystemClock::Instance();
};

/// The configuration as the daemon reads it (`config_path` empty: the default path, where a
/// missing file means defaults), with the directory and database overrides applied.
Result<config::Config> LoadConfig(const std::string& config_path, const std::string& events_dir,
                                  const std::string& database);

/// Writes "rh-forensics: <message>" to ctx.err as one line, control characters and other text
/// unsafe for a terminal escaped (so give it raw text), and returns kExitFailed.
int Fail(const Context& ctx, const std::string& message);
/// Writes "rh-forensics: warning: <message>" to ctx.err the same way.
void Warn(const Context& ctx, const std::string& message);

int List(const Context& ctx, const std::string& format);
int Show(const Context& ctx, const std::string& bundle, const std::string& format);
int Verify(const Context& ctx, const std::string& bundle);
int Replay(const Context& ctx, const std::string& bundle, const std::string& format);
int Export(const Context& ctx, const std::string& bundle, const std::string& output, bool redact,
           bool force);
int Diff(const Context& ctx, const std::string& a, const std::string& b, const std::string& format);
int Report(const Context& ctx, const std::string& bundle, const std::string& output, bool force);
int Patterns(const Context& ctx, const std::string& format);
/// `in` is read for the confirmation only when `interactive` (stdin is a terminal).
int Prune(const Context& ctx, bool dry_run, bool yes, std::istream& in, bool interactive);

}  // namespace rh::forensics::cli
