#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/result.h"
#include "forensics/cli/bundle_view.h"

namespace rh::forensics::cli {

/// Replaces user names, the host name and command-line arguments of a bundle by salted hashes
/// ("redacted:" + 12 hex digits of SHA-256(salt, value)), so it can be shared:
///  - in every JSON file, by field: values of user/username/owner/group fields, every argument
///    of cmdline/argv/args after argv[0], of which only the basename is kept; cwd and environ;
///    host name fields;
///  - then in every file, each occurrence of a user name, the host name (and its first label)
///    or an argument of 4 bytes or more that is not all digits, where it is not part of a longer
///    word: in JSON files inside string values only, elsewhere (kernel.log, journal.log, raw
///    files) in the text.
/// Process names (comm) and argv[0]'s basename are kept, and a value equal to one of them is
/// not hunted elsewhere. The manifest gets the hashed host name, "redacted": true, and sizes and
/// SHA-256 recomputed, so the result verifies. Returns every file, manifest.json included.
/// Refuses, naming the file, a JSON file that cannot be parsed (nested deeper than
/// kMaxJsonDepth included) and a result that `limits` would not let rh-forensics read back.
Result<std::map<std::string, std::string>> RedactBundle(const OpenedBundle& bundle,
                                                        std::string_view salt,
                                                        const ReadLimits& limits = {});

}  // namespace rh::forensics::cli
