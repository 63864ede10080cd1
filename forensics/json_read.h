#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/result.h"

namespace rh::forensics {

// Reading JSON that comes from outside (bundle files, archives): every failure of the library
// becomes an error value naming the file, never an exception.

/// Deepest nesting of arrays and objects accepted. The bundle format nests 7 levels at most; a
/// bound keeps recursive code over a document (dump, redaction, comparison) off the stack limit.
inline constexpr int kMaxJsonDepth = 64;

/// Parses `text`; `where` names it in errors. Syntax errors, numbers out of range for a double
/// (1e999), nesting deeper than kMaxJsonDepth and running out of memory are one line each:
/// "<where>: not valid JSON at <field>: <why>", the field as a path like "host.page_size" or
/// "files[].size" (empty at the top level).
Result<nlohmann::json> ParseJson(std::string_view text, const std::string& where);
/// The same, keeping the order of keys (for rewriting a document).
Result<nlohmann::ordered_json> ParseOrderedJson(std::string_view text, const std::string& where);

}  // namespace rh::forensics
