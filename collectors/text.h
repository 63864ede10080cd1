#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "base/result.h"

namespace rh::collectors {

// Small helpers shared by the parsers: tokenising kernel text without allocating.

/// Splits off the next whitespace-separated token of `rest` (spaces and tabs), advancing `rest`.
/// Returns an empty view when none is left.
inline std::string_view NextToken(std::string_view& rest) {
  // A plain loop: find_first_of(" \t") costs a memchr call per character.
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  std::size_t i = 0;
  const std::size_t n = rest.size();
  while (i < n && blank(rest[i])) ++i;
  const std::size_t begin = i;
  while (i < n && !blank(rest[i])) ++i;
  std::string_view token = rest.substr(begin, i - begin);
  rest.remove_prefix(i);
  return token;
}

/// Splits off the next line of `rest` (without its '\n'), advancing `rest`. A last line without a
/// trailing newline is returned too. Returns nullopt when `rest` is exhausted.
inline std::optional<std::string_view> NextLine(std::string_view& rest) {
  if (rest.empty()) return std::nullopt;
  std::size_t end = rest.find('\n');
  std::string_view line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  return line;
}

/// Parses the whole token as a number of type T; nullopt on garbage, sign errors or overflow.
template <typename T>
std::optional<T> ParseNumber(std::string_view token) {
  T value{};
  if (token.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return value;
}

/// An error that says where in a file: "line 3: bad avg10 value 'x'". Collectors prefix the path.
inline Error BadToken(std::size_t line, std::string_view what, std::string_view token) {
  return Error{"line " + std::to_string(line) + ": bad " + std::string(what) + " '" +
               std::string(token) + "'"};
}

}  // namespace rh::collectors
