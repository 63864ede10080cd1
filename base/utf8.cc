#include "base/utf8.h"

namespace rh {

Utf8Char DecodeUtf8(std::string_view bytes, std::size_t i) {
  const auto c = static_cast<unsigned char>(bytes[i]);
  const std::size_t length = c < 0x80           ? 1
                             : (c >> 5) == 0x6  ? 2
                             : (c >> 4) == 0xE  ? 3
                             : (c >> 3) == 0x1E ? 4
                                                : 0;
  if (length == 0 || i + length > bytes.size()) return {};
  char32_t cp = length == 1 ? c : c & (0xFF >> (length + 1));
  for (std::size_t k = 1; k < length; ++k) {
    const auto b = static_cast<unsigned char>(bytes[i + k]);
    if ((b & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {length, cp};
}

bool IsValidUtf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const Utf8Char ch = DecodeUtf8(bytes, i);
    if (ch.length == 0) return false;
    i += ch.length;
  }
  return true;
}

std::string ToValidUtf8(std::string_view bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const Utf8Char ch = DecodeUtf8(bytes, i);
    if (ch.length == 0) {
      out.append(kReplacement);
      ++i;
    } else {
      out.append(bytes.substr(i, ch.length));
      i += ch.length;
    }
  }
  return out;
}

}  // namespace rh
