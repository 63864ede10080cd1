#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rh::forensics {

// The redaction of command lines shared by `rh-forensics export --redact` and the daemon's
// process API: argv[0] keeps its base name, every other argument becomes a salted hash, so equal
// arguments stay recognisable as equal without being readable.

/// "redacted:" + 12 hex digits of SHA-256(salt, NUL, value).
std::string RedactedHash(std::string_view salt, std::string_view value);

/// Whether `text` is exactly what RedactedHash() produces.
bool IsRedactedHash(std::string_view text);

/// The last component of a path ("/usr/bin/python3" -> "python3").
std::string BaseName(std::string_view path);

/// `args` with argv[0] reduced to its base name and every later non-empty argument replaced by
/// its RedactedHash().
std::vector<std::string> RedactArguments(const std::vector<std::string>& args,
                                         std::string_view salt);

/// 16 random bytes as hex, from getrandom(2): a salt that is never shown.
std::string RandomSalt();

}  // namespace rh::forensics
