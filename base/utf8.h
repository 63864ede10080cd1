#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rh {

// UTF-8 for text the kernel hands us as bytes (process names, wait channels): checked, never
// trusted.

/// One decoded character: `length` bytes (1-4), or 0 when the bytes at that position are not a
/// valid sequence (truncated, overlong, a surrogate, above U+10FFFF, a stray continuation byte).
struct Utf8Char {
  std::size_t length = 0;
  char32_t code_point = 0;
};

/// Decodes the character starting at bytes[i] (i < bytes.size()).
Utf8Char DecodeUtf8(std::string_view bytes, std::size_t i);

/// Whether all of `bytes` is valid UTF-8.
bool IsValidUtf8(std::string_view bytes);

/// `bytes` with every byte that does not start a valid sequence replaced by U+FFFD.
std::string ToValidUtf8(std::string_view bytes);

}  // namespace rh
