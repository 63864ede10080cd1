#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rh::forensics::cli {

// Formatting for terminals and HTML. Everything read from a bundle is untrusted: process names
// may hold escape sequences, newlines or markup.

/// Bytes safe to print on a terminal: control characters, DEL and invalid UTF-8 become \xNN,
/// backslash becomes \\.
std::string Printable(std::string_view bytes);

/// Text for HTML element content and attribute values: & < > " ' escaped, and the bytes that
/// Printable() escapes.
std::string HtmlEscape(std::string_view bytes);

/// 1536 -> "1.5 KiB".
std::string HumanBytes(double bytes);

/// A number with up to `digits` decimals and no trailing zeros: 3.0220 -> "3.022".
std::string Decimal(double value, int digits = 3);

/// UTC time of Unix nanoseconds: "2026-11-23 10:15:03Z" (seconds precision).
std::string ShortTime(std::int64_t unix_ns);

}  // namespace rh::forensics::cli
