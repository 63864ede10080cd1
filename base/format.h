#pragma once

#include <string>

namespace rh {

/// printf into a std::string of whatever length the result has.
[[gnu::format(printf, 1, 2)]] std::string Format(const char* format, ...);

}  // namespace rh
