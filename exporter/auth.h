#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"

namespace rh::exporter {

/// "Basic <base64(user:password)>" (RFC 7617) split into its parts; nullopt for anything else.
struct BasicCredentials {
  std::string user;
  std::string password;
};
std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header);

/// The token of "Bearer <token>" (RFC 6750); nullopt for anything else.
std::optional<std::string_view> ParseBearerAuthorization(std::string_view header);

/// Compares in time that depends only on the lengths, not on where the strings differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

/// Counts failed logins per client address: after `max_failures` within `window_seconds`, the
/// address is blocked (answered 429) for `block_seconds`. Time comes from the injected clock.
/// At most `max_addresses` are tracked (the stalest are forgotten first). Thread-safe.
class FailureLimiter {
 public:
  struct Options {
    int max_failures = 5;
    double window_seconds = 60;
    double block_seconds = 60;
    std::size_t max_addresses = 4096;
  };
  FailureLimiter(const Clock& clock, Options options);
  explicit FailureLimiter(const Clock& clock) : FailureLimiter(clock, Options{}) {}

  /// Seconds the address stays blocked, or 0 when it may try.
  double BlockedFor(std::string_view address);
  void Failed(std::string_view address);
  /// A success forgets the address's failures.
  void Succeeded(std::string_view address);

 private:
  struct Entry {
    int failures = 0;
    double window_start = 0;
    double blocked_until = 0;
  };
  double Now() const;

  const Clock& clock_;
  const Options options_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

/// Checks user names and passwords against bcrypt hashes (the web-config file's
/// basic_auth_users) with libcrypt's crypt_r:
///  - an unknown user is checked against a dummy hash of the highest cost configured, so the
///    answer takes as long as for a known user;
///  - results are cached for `cache_seconds` under a keyed SHA-256 of user and password (never
///    the password itself), so a scraper's repeated credentials cost one bcrypt, not one per
///    scrape;
///  - one bcrypt runs at a time: a flood of guesses cannot take every CPU.
/// Thread-safe.
class PasswordChecker {
 public:
  struct Options {
    double cache_seconds = 60;
    std::size_t max_cached = 1024;
  };
  PasswordChecker(std::map<std::string, std::string> users, const Clock& clock, Options options);
  PasswordChecker(std::map<std::string, std::string> users, const Clock& clock)
      : PasswordChecker(std::move(users), clock, Options{}) {}

  bool empty() const { return users_.empty(); }
  /// Whether `user` exists and `password` matches its hash.
  bool Check(std::string_view user, std::string_view password);
  /// How many bcrypt computations ran (cache misses), for tests.
  std::uint64_t computations() const;

 private:
  bool Bcrypt(std::string_view password, const std::string& hash);

  const std::map<std::string, std::string> users_;
  const Clock& clock_;
  const Options options_;
  std::string dummy_hash_;
  std::string cache_salt_;
  mutable std::mutex cache_mutex_;
  std::unordered_map<std::string, std::pair<bool, double>> cache_;  // key -> (ok, expiry)
  std::mutex bcrypt_mutex_;                                         // one bcrypt at a time
  std::atomic<std::uint64_t> computations_{0};
};

/// Who may use the HTTP server: the web-config file's basic_auth_users for every request, and
/// the kill action's bearer token ([process] kill_token_file), with one FailureLimiter for both.
/// Thread-safe.
class Authenticator {
 public:
  enum class Verdict { kAllowed, kMissing, kWrong, kBlocked };
  struct Outcome {
    Verdict verdict = Verdict::kMissing;
    std::string principal;   ///< "basic:<user>" or "token" when allowed.
    double retry_after = 0;  ///< Seconds, when blocked.
  };

  Authenticator(std::map<std::string, std::string> users, std::string token, const Clock& clock,
                FailureLimiter::Options limits = {}, PasswordChecker::Options passwords = {});

  /// Whether every request must authenticate (basic_auth_users is not empty).
  bool required() const { return !passwords_.empty(); }
  /// Whether anything can authenticate at all (users or a token).
  bool configured() const { return !passwords_.empty() || !token_.empty(); }

  /// Checks an Authorization header sent from `address`: valid basic credentials or the bearer
  /// token. A wrong one counts against the address; a blocked address is not checked at all.
  Outcome Check(std::string_view authorization, std::string_view address);
  /// Counts a refused request against the address as a wrong login would.
  void CountFailure(std::string_view address) { limiter_.Failed(address); }

  const PasswordChecker& passwords() const { return passwords_; }

 private:
  PasswordChecker passwords_;
  const std::string token_;
  FailureLimiter limiter_;
};

}  // namespace rh::exporter
