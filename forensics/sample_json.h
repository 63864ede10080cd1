#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "analysis/scored_sample.h"
#include "base/result.h"

namespace rh::forensics {

// JSON forms of the sampler's passes, as written to bundles (docs/bundle-format.md). Conversions
// are exact: a pass read back equals the pass written, doubles included.

/// Bytes that may not be UTF-8 (process names): a string when valid UTF-8, else {"base64": ...}.
nlohmann::json BytesToJson(std::string_view bytes);
Result<std::string> BytesFromJson(const nlohmann::json& json);

nlohmann::json ToJson(const collectors::SystemSample& sample);
nlohmann::json ToJson(const analysis::Assessment& assessment);
nlohmann::json ToJson(const analysis::ScoredSample& pass);

/// Parses a pass; the error names the missing or mistyped field.
Result<analysis::ScoredSample> ScoredSampleFromJson(const nlohmann::json& json);
Result<collectors::SystemSample> SystemSampleFromJson(const nlohmann::json& json);

/// Formats Unix nanoseconds as UTC RFC 3339 with milliseconds: "2026-11-23T10:15:03.812Z".
std::string Rfc3339(std::int64_t unix_ns);
/// Parses what Rfc3339() writes (and whole seconds); nullopt on anything else.
std::optional<std::int64_t> ParseRfc3339(std::string_view text);

}  // namespace rh::forensics
