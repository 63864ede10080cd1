#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace rh::exporter::cli {

// Text for people. Times in tables are local (the machine's time zone, as the user remembers
// "it froze at ten past nine"); JSON and CSV carry RFC 3339 UTC.

/// "2026-11-23 10:15:03" in local time.
std::string LocalTime(double unix_seconds);
/// "10:15:03" in local time.
std::string LocalClock(double unix_seconds);
/// "12s ago", "5m ago", "2h ago", "3d ago"; "just now" under a second; "in the future" if < 0.
std::string Ago(double seconds);
/// "2.9 s", "74.3 s", "0.300 s" below a second.
std::string Seconds(double seconds);
/// 0.734 -> "73%".
std::string Percent(double ratio);

/// A time given to --since: a duration back from `now` ("90s", "30m", "2h", "7d", "1w"), a
/// date ("2026-11-23", local midnight), a local time ("2026-11-23 10:15", "2026-11-23T10:15:03"),
/// an RFC 3339 UTC time ("...Z") or Unix seconds ("@1764000000"). Returns Unix seconds.
Result<double> ParseSince(std::string_view text, double now);

/// ANSI styles, applied only when `enabled` (a terminal without NO_COLOR).
enum class Style { kBold, kGreen, kYellow, kRed, kDim };
std::string Paint(std::string_view text, Style style, bool enabled);

/// Whether colour may be used on `fd`: a terminal, TERM is not "dumb", NO_COLOR unset or empty.
bool ColorAllowed(int fd);

}  // namespace rh::exporter::cli
