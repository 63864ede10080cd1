#pragma once

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

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

/// The number `j` as an integer of type T: nullopt unless it is a JSON integer (not a float, not
/// a string) within T's range, so that 4294967297 is never read as 1.
template <typename T, typename Json>
std::optional<T> JsonInteger(const Json& j) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  if (j.is_number_unsigned()) {
    const auto v = j.template get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return std::nullopt;
    return static_cast<T>(v);
  }
  if (j.is_number_integer()) {
    const auto v = j.template get<std::int64_t>();
    if constexpr (std::is_unsigned_v<T>) {
      if (v < 0 || static_cast<std::uint64_t>(v) > std::numeric_limits<T>::max()) {
        return std::nullopt;
      }
    } else {
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
        return std::nullopt;
      }
    }
    return static_cast<T>(v);
  }
  return std::nullopt;
}

/// A double converted to an integer of type T: nullopt when it is not finite or outside T's
/// range (a plain cast would be undefined behaviour). The fraction is dropped.
template <typename T>
std::optional<T> IntegerFromDouble(double v) {
  static_assert(std::is_integral_v<T>);
  if (!std::isfinite(v)) return std::nullopt;
  // Both bounds are powers of two (or zero), exact as doubles.
  const double low = std::is_signed_v<T> ? -std::ldexp(1.0, std::numeric_limits<T>::digits) : 0.0;
  const double high = std::ldexp(1.0, std::numeric_limits<T>::digits);
  if (v < low || v >= high) return std::nullopt;
  return static_cast<T>(v);
}

}  // namespace rh::forensics
