#include "forensics/redaction.h"

#include <sys/random.h>

#include "forensics/bundle.h"

namespace rh::forensics {
namespace {

constexpr std::string_view kPrefix = "redacted:";
constexpr std::size_t kHashDigits = 12;

}  // namespace

std::string RedactedHash(std::string_view salt, std::string_view value) {
  std::string input(salt);
  input += '\0';
  input += value;
  return std::string(kPrefix) + Sha256Hex(input).substr(0, kHashDigits);
}

bool IsRedactedHash(std::string_view text) {
  return text.starts_with(kPrefix) && text.size() == kPrefix.size() + kHashDigits;
}

std::string BaseName(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::vector<std::string> RedactArguments(const std::vector<std::string>& args,
                                         std::string_view salt) {
  std::vector<std::string> out;
  out.reserve(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    // An empty argument tells nothing: it stays empty.
    out.push_back(i == 0 ? BaseName(args[0]) : args[i].empty() ? "" : RedactedHash(salt, args[i]));
  }
  return out;
}

std::string RandomSalt() {
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace rh::forensics
