#pragma once

namespace rh::test {

/// Whether this build runs under AddressSanitizer (the asan preset). Its runtime makes code
/// several times slower and replaces some calls (mlock is a no-op that succeeds), so the few
/// tests that depend on either say so instead of failing.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif

}  // namespace rh::test
