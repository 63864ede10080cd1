#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/http_server.h"

namespace rh::exporter::api {

// Building the JSON API's responses (docs/api.md). Every handler answers with these, so that
// errors look alike everywhere: {"success": false, "error": "...", ...}.

using Json = nlohmann::ordered_json;

/// `body` as an application/json response. Strings holding invalid UTF-8 (process names are
/// arbitrary bytes) are serialized with U+FFFD in place of the bad bytes: always valid JSON.
HttpResponse JsonResponse(int status, const Json& body);

/// {"success": false, "error": message} plus the members of `extra`.
HttpResponse JsonError(int status, std::string_view message, const Json& extra = Json::object());

/// Unix seconds as RFC 3339 UTC with milliseconds: "2026-11-29T01:02:03.456Z".
std::string IsoTime(double unix_seconds);

/// Parses RFC 3339 UTC ("2026-11-29T01:02:03Z", optional fraction) or plain Unix seconds
/// ("1795000000.5"); nullopt for anything else.
std::optional<double> ParseTime(std::string_view text);

/// A decimal integer of 1 to 10 digits, no sign or spaces, between `min` and `max`; nullopt for
/// anything else ("-1", "1e3", "0x10", "99999999999").
std::optional<std::int64_t> ParseInteger(std::string_view text, std::int64_t min, std::int64_t max);

/// The percent-decoded value of `name` in a query string ("a=1&b=x%20y"); nullopt when absent.
std::optional<std::string> QueryParameter(std::string_view query, std::string_view name);

}  // namespace rh::exporter::api
