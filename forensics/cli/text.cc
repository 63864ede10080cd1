#include "forensics/cli/text.h"

#include <time.h>

#include <cmath>
#include <cstdio>

#include "base/utf8.h"

namespace rh::forensics::cli {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHexByte(std::string& out, unsigned char c) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

// Length of the valid UTF-8 sequence at `i`, or 0 when it is invalid or a character that must
// not reach a terminal as is.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const Utf8Char ch = DecodeUtf8(s, i);
  const char32_t cp = ch.code_point;
  // C1 controls (U+0080-U+009F) act as escape sequences on some terminals.
  if (cp >= 0x80 && cp <= 0x9F) return 0;
  // Bidirectional overrides and isolates can disguise text.
  if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) return 0;
  return ch.length;
}

template <typename Emit>
void Walk(std::string_view bytes, Emit emit_char, std::string& out) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    auto c = static_cast<unsigned char>(bytes[i]);
    std::size_t len = Utf8Length(bytes, i);
    if (len == 0 || c < 0x20 || c == 0x7f) {
      if (len > 1) {  // a valid but unwanted code point: escape all its bytes
        for (std::size_t k = 0; k < len; ++k)
          AppendHexByte(out, static_cast<unsigned char>(bytes[i + k]));
        i += len;
      } else {
        AppendHexByte(out, c);
        ++i;
      }
      continue;
    }
    if (len == 1) {
      emit_char(static_cast<char>(c), out);
    } else {
      out.append(bytes.substr(i, len));
    }
    i += len;
  }
}

}  // namespace

std::string Printable(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  Walk(
      bytes,
      [](char c, std::string& o) {
        if (c == '\\') o += '\\';
        o += c;
      },
      out);
  return out;
}

std::string HtmlEscape(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  Walk(
      bytes,
      [](char c, std::string& o) {
        switch (c) {
          case '&':
            o += "&amp;";
            break;
          case '<':
            o += "&lt;";
            break;
          case '>':
            o += "&gt;";
            break;
          case '"':
            o += "&quot;";
            break;
          case '\'':
            o += "&#39;";
            break;
          case '\\':
            o += "\\\\";
            break;
          default:
            o += c;
        }
      },
      out);
  return out;
}

std::string HumanBytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  bool negative = bytes < 0;
  double v = std::fabs(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 5) {
    v /= 1024;
    ++unit;
  }
  char buffer[64];
  if (unit == 0) {
    std::snprintf(buffer, sizeof buffer, "%s%.0f B", negative ? "-" : "", v);
  } else {
    std::snprintf(buffer, sizeof buffer, "%s%.1f %s", negative ? "-" : "", v, kUnits[unit]);
  }
  return buffer;
}

std::string Decimal(double value, int digits) {
  if (!std::isfinite(value)) return value != value ? "nan" : (value > 0 ? "inf" : "-inf");
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  std::string s = buffer;
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string ShortTime(std::int64_t unix_ns) {
  time_t seconds = static_cast<time_t>(unix_ns / 1'000'000'000);
  if (unix_ns < 0 && unix_ns % 1'000'000'000 != 0) --seconds;
  struct tm tm {};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buffer;
}

}  // namespace rh::forensics::cli
